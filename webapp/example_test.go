package webapp_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/webapp"
)

// Example serves the web app over a store and reads the JSON API as a
// logged-in client would. Real deployments run "overwatch web --data DIR".
func Example() {
	dir, _ := os.MkdirTemp("", "overwatch-example")
	defer os.RemoveAll(dir)
	st, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	// One snapshot of run 123 from the EMC receiver.
	_, _ = st.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 123, Subsystem: "EMC", Mode: overwatch.ModeCompress,
		Time: time.Date(2015, 11, 24, 18, 5, 10, 0, time.UTC)}, strings.NewReader("root file bytes"))

	// There are no default users: create one (as "overwatch users add" does).
	users, _ := webapp.OpenUsers(webapp.UsersPath(dir))
	_ = users.Add("shifter", "a long password", webapp.RoleShifter)

	// Behind an SSO proxy on this host that sets X-Remote-User.
	app, err := webapp.New(webapp.Config{Store: st, Alarms: st, DataDir: dir, Users: users,
		TrustedProxyHeader: "X-Remote-User", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer app.Close()
	srv := httptest.NewServer(app)
	defer srv.Close()

	// Without a session (or the proxy header) the API answers 401.
	resp, _ := http.Get(srv.URL + "/api/runs/123")
	fmt.Println(resp.Status)
	resp.Body.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/api/runs/123", nil)
	req.Header.Set("X-Remote-User", "shifter")
	resp, _ = http.DefaultClient.Do(req)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Print(string(body))
	// Output:
	// 401 Unauthorized
	// 200 OK
	// {"number":123,"mode":"C","start":1448388310,"end":1448388310,"ongoing":false,"subsystems":[{"name":"EMC","source":"EMC","start":1448388310,"end":1448388310,"snapshots":1,"last":1448388310,"page":"/run/123/EMC"}]}
}
