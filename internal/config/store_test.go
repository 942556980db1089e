package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreSection(t *testing.T) {
	for _, tc := range []struct {
		yaml, dsn, want string // want: "" valid, else part of the error
	}{
		{"", "", ""},
		{"store: {index: sqlite, blobs: dir}", "", ""},
		{"store: {index: postgres}", "postgres://u@h/db", ""},
		{"store: {index: postgres}", "", "OVERWATCH_PG_DSN"},
		{"store: {index: mysql}", "", `"mysql" is not sqlite or postgres`},
		{"store: {blobs: ftp}", "", `"ftp" is not dir`},
		{"store: {dsn: postgres://u:secret@h/db}", "", "field dsn not found"},
	} {
		c := Default()
		err := Parse([]byte(tc.yaml), &c)
		if err == nil {
			require.NoError(t, c.ApplyEnv(func(k string) string {
				if k == "OVERWATCH_PG_DSN" {
					return tc.dsn
				}
				return ""
			}))
			err = c.Validate()
		}
		if tc.want == "" {
			assert.NoError(t, err, tc.yaml)
			continue
		}
		require.Error(t, err, tc.yaml)
		assert.Contains(t, err.Error(), tc.want, tc.yaml)
	}
	c := Default()
	c.Store = Store{Index: "postgres", DSN: "postgres://u@h/db"}
	assert.Equal(t, "postgres://u@h/db", c.Store.IndexOption())
	c.Store.Index = "sqlite"
	assert.Equal(t, "", c.Store.IndexOption())
}
