package cli

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/quality/observe"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/webapp"
)

// TestReferenceCommands: references set, listed, replaced and removed by
// the CLI persist in the store (each command opens it anew), with their
// history, and the web app reading the same store resolves them.
func TestReferenceCommands(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, r := range []int{100, 150, 160} {
		_, err := st.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: r, Subsystem: "EMC", Mode: overwatch.ModeCompress,
			Time: now.Add(time.Duration(r) * time.Second), Origin: "test"}, bytes.NewReader([]byte("x")))
		require.NoError(t, err)
	}
	require.NoError(t, st.Close())
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		e := &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
			if k == "USER" {
				return "carla"
			}
			return ""
		}}
		code := runMain(ctx, e, append(args, "--data", dir))
		return code, stdout.String() + stderr.String()
	}
	code, out := run("reference", "set", "--sys", "EMC", "--runs", "100-200", "--ref", "150", "--comment", "stable beams")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "reference EMC/100-200: run 150 (version 1, by carla)")
	code, out = run("reference", "set", "--sys", "EMC", "--runs", "155-", "--ref", "160", "--author", "dan")
	require.Equal(t, 0, code, out)
	code, out = run("reference", "set", "--sys", "EMC", "--runs", "100-200", "--ref", "100", "--comment", "better run")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "version 2")

	code, out = run("reference", "list", "--sys", "EMC", "--run", "120")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "EMC        100-200  run 100    2        carla")
	assert.Contains(t, out, "155-")
	assert.Contains(t, out, "run 120 of EMC: reference run 100 (EMC/100-200)")
	_, out = run("reference", "list", "--sys", "EMC", "--run", "170")
	assert.Contains(t, out, "run 170 of EMC: reference run 100 (EMC/100-200)", "narrowest wins over the open-ended range")
	_, out = run("reference", "list", "--sys", "EMC", "--run", "300")
	assert.Contains(t, out, "reference run 160 (EMC/155-)")
	_, out = run("reference", "list", "--sys", "EMC", "--run", "50")
	assert.Contains(t, out, "run 50 of EMC: no reference declared")

	code, out = run("reference", "rm", "--sys", "EMC", "--runs", "155-", "--comment", "wrong")
	require.Equal(t, 0, code, out)
	code, out = run("reference", "history", "--sys", "EMC", "--runs", "155-")
	require.Equal(t, 0, code, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	assert.Contains(t, lines[1], "dan")
	assert.Contains(t, lines[1], "run 160")
	assert.Contains(t, lines[2], "carla")
	assert.Contains(t, lines[2], "removed")
	assert.Contains(t, lines[2], "wrong")

	// Bad arguments: exit status 2 or 1 with a clear message, nothing written.
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"reference", "set", "--sys", "emc", "--runs", "1-2", "--ref", "100"}, 2, "--sys"},
		{[]string{"reference", "set", "--sys", "EMC", "--runs", "9-2", "--ref", "100"}, 2, "ends before it starts"},
		{[]string{"reference", "set", "--sys", "EMC", "--runs", "1-2"}, 2, "reference run 0"},
		{[]string{"reference", "set", "--sys", "EMC", "--runs", "1-2", "--ref", "999"}, 1, "not in the store"},
		{[]string{"reference", "rm", "--sys", "EMC", "--runs", "155-"}, 1, "no reference EMC/155- is declared"},
		{[]string{"reference", "history", "--sys", "EMC", "--runs", "1-5"}, 1, "was ever declared"},
		{[]string{"reference", "list", "--run", "5"}, 2, "--run needs --sys"},
	} {
		code, out := run(c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, out)
		assert.Contains(t, out, c.msg, "%v", c.args)
	}

	// The web app over the same store resolves what the CLI declared.
	st, err = store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	docs, err := st.Documents(ctx, quality.ReferenceKind)
	require.NoError(t, err)
	refs, err := quality.ReferencesFromDocuments(docs)
	require.NoError(t, err)
	require.Len(t, refs, 1)
	assert.Equal(t, "better run", refs[0].Comment)
	users, err := webapp.OpenUsers(webapp.UsersPath(dir))
	require.NoError(t, err)
	toks, err := webapp.OpenTokens(webapp.TokensPath(dir))
	require.NoError(t, err)
	require.NoError(t, users.Add("vera", "a long enough password", webapp.RoleViewer))
	secret, _, err := toks.Add("vera", []webapp.Scope{webapp.ScopeRuns}, time.Hour)
	require.NoError(t, err)
	app, err := webapp.New(webapp.Config{Store: st, Alarms: st, Documents: st, DataDir: dir, Users: users, Tokens: toks, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { app.Close() })
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("GET", srv.URL+"/api/references?sys=EMC&run=120", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, buf.String())
	assert.Contains(t, buf.String(), `"applies":{"subsystem":"EMC","first":100,"last":200,"run":100,"author":"carla"`)
}

// TestBadChannelCommands: the CLI lists, confirms and removes channels of
// a list the checks proposed, in the real store, with history.
func TestBadChannelCommands(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "map", "", overwatch.NewAxis(20, 0, 20))
	b := &quality.BadChannels{Subsystem: "EMC"}
	b.Propose(h, quality.Result{Check: "DeadChannels", Bins: []int{5, 6}}, 7, time.Now())
	d, err := b.Document("quality", "proposed")
	require.NoError(t, err)
	_, err = st.PutDocument(ctx, d, 0)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
		code := runMain(ctx, e, append(args, "--data", dir))
		return code, stdout.String() + stderr.String()
	}
	code, out := run("badchannels", "confirm", "--sys", "EMC", "--hist", "map", "--cell", "5", "--author", "eric")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "EMC map cell 5: confirmed (version 2)")
	code, out = run("badchannels", "remove", "--sys", "EMC", "--hist", "map", "--cell", "6", "--comment", "noise")
	require.Equal(t, 0, code, out)
	code, out = run("badchannels", "list", "--sys", "EMC")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "1 confirmed, 0 proposed")
	assert.Contains(t, out, "map   5     4.5  0  confirmed  DeadChannels  7    eric")
	code, out = run("badchannels", "history", "--sys", "EMC")
	require.Equal(t, 0, code, out)
	assert.Equal(t, 4, strings.Count(out, "\n"), out)
	assert.Contains(t, out, "noise")
	code, out = run("badchannels", "confirm", "--sys", "EMC", "--hist", "map", "--cell", "9")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "not in the EMC bad-channel list")
	code, _ = run("badchannels", "confirm", "--sys", "EMC", "--hist", "map")
	assert.Equal(t, 2, code)
}

// TestReferenceUpload: a ROOT file uploaded by the CLI becomes the
// subsystem's reference for its range, is resolved with who set it, and
// gives the checks their reference histogram; a file that is not ROOT is
// refused with a clear message and nothing is stored.
func TestReferenceUpload(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	h := overwatch.MustNewHist("TH1F", "hAmp", "amplitude", overwatch.NewAxis(4, 0, 4))
	h.Contents[2], h.Entries = 7, 7
	good, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "hAmp", Object: h}})
	require.NoError(t, err)
	goodPath, badPath := filepath.Join(dir, "emc-ref.root"), filepath.Join(dir, "notes.root")
	require.NoError(t, os.WriteFile(goodPath, good, 0o644))
	require.NoError(t, os.WriteFile(badPath, []byte("this is not a ROOT file, but it is long enough"), 0o644))
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
		code := runMain(ctx, e, append(args, "--data", dir))
		return code, stdout.String() + stderr.String()
	}
	code, out := run("reference", "upload", "--sys", "EMC", "--runs", "300-", "--file", badPath, "--author", "erin")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "not a ROOT file")
	code, out = run("reference", "upload", "--sys", "EMC", "--runs", "300-", "--file", goodPath, "--author", "erin", "--comment", "from the test beam")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "reference EMC/300-: file emc-ref.root (1 histograms, "+quality.ReferenceFileID(good))
	_, out = run("reference", "list", "--sys", "EMC", "--run", "310")
	assert.Contains(t, out, "run 310 of EMC: reference file emc-ref.root ("+quality.ReferenceFileID(good)[:12]+") (EMC/300-)")
	assert.Contains(t, out, "erin")

	st, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	files, err := st.Documents(ctx, quality.ReferenceFileKind)
	require.NoError(t, err)
	assert.Len(t, files, 1, "the good file only")
	refs := observe.NewStoreReferences(st, st, 0)
	got, about, err := refs.Reference(ctx, "EMC", 310, "hAmp")
	require.NoError(t, err)
	require.NotNil(t, got, about)
	assert.Equal(t, 7.0, got.Contents[2])
	assert.Contains(t, about, "file emc-ref.root")
}
