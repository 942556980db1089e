package pgtest_test

import (
	"database/sql"
	"fmt"
	"slices"

	_ "github.com/overwatch-dqm/overwatch/internal/pgtest"
)

// A test package gets a fresh database per test from pgtest.Start(t) and
// opens it with the pgx driver, which importing pgtest registers:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) } // one cluster per binary
//
//	func TestIndex(t *testing.T) {
//		db, err := sql.Open("pgx", pgtest.Start(t))
//		…
//	}
func Example() {
	fmt.Println(slices.Contains(sql.Drivers(), "pgx"))
	// Output: true
}
