package cli

import (
	"context"
	"fmt"
	"github.com/overwatch-dqm/overwatch/internal/syncbuf"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/webapp"
)

func runUsersCmd(ctx context.Context, stdin string, args ...string) (int, string, string) {
	usersStdin = strings.NewReader(stdin)
	var out, errb syncbuf.Buffer
	code := runMain(ctx, &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

func TestUsersCommands(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	code, out, _ := runUsersCmd(ctx, "a long password\n", "users", "add", "--data", dir, "alice")
	require.Equal(t, 0, code)
	assert.Equal(t, "user alice added (viewer)\n", out)
	code, out, _ = runUsersCmd(ctx, "", "users", "add", "--data", dir, "bob")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "generated password: ")
	pw := strings.Fields(strings.SplitN(out, "\n", 2)[0])[2]
	u, err := webapp.OpenUsers(webapp.UsersPath(dir))
	require.NoError(t, err)
	assert.True(t, u.Verify("alice", "a long password"))
	assert.True(t, u.Verify("bob", pw))

	code, out, _ = runUsersCmd(ctx, "", "users", "list", "--data", dir)
	require.Equal(t, 0, code)
	assert.Equal(t, "alice\tviewer\nbob\tviewer\n", out)
	code, out, _ = runUsersCmd(ctx, "", "users", "role", "--data", dir, "--role", "shifter", "bob")
	require.Equal(t, 0, code)
	assert.Equal(t, "user bob is now shifter\n", out)
	code, _, _ = runUsersCmd(ctx, "a long password\n", "users", "add", "--data", dir, "--role", "root", "carol")
	assert.Equal(t, 2, code, "unknown role")
	code, _, _ = runUsersCmd(ctx, "a long password\n", "users", "add", "--data", dir, "--role", "admin", "carol")
	require.Equal(t, 0, code)
	r, _ := u.Role("carol")
	assert.Equal(t, webapp.RoleAdmin, r)

	// API tokens: shown once, listed without secret, revoked.
	code, out, _ = runUsersCmd(ctx, "", "users", "token", "add", "--data", dir, "--user", "bob", "--scope", "runs,alarms")
	require.Equal(t, 0, code, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	assert.True(t, strings.HasPrefix(secret, "owt_"), out)
	id := strings.Fields(lines[0])[1]
	code, out, _ = runUsersCmd(ctx, "", "users", "token", "ls", "--data", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, out, id+"\tbob\t[runs alarms]")
	assert.NotContains(t, out, strings.SplitN(secret, "_", 3)[2]) // the secret may hold "_" itself
	code, _, _ = runUsersCmd(ctx, "", "users", "token", "add", "--data", dir, "--user", "nobody")
	assert.Equal(t, 1, code, "unknown user")
	code, _, _ = runUsersCmd(ctx, "", "users", "token", "add", "--data", dir, "--user", "bob", "--scope", "admin")
	assert.Equal(t, 2, code, "unknown scope")
	code, out, _ = runUsersCmd(ctx, "", "users", "token", "rm", "--data", dir, id)
	require.Equal(t, 0, code)
	assert.Equal(t, "token "+id+" revoked\n", out)
	code, out, _ = runUsersCmd(ctx, "", "users", "token", "ls", "--data", dir)
	require.Equal(t, 0, code)
	assert.Empty(t, out)

	code, _, errs := runUsersCmd(ctx, "another long one\n", "users", "add", "--data", dir, "alice")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "already exists")

	code, out, _ = runUsersCmd(ctx, "", "users", "passwd", "--data", dir, "--generate", "alice")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "password of alice changed")
	assert.False(t, u.Verify("alice", "a long password"))

	code, _, _ = runUsersCmd(ctx, "", "users", "rm", "--data", dir, "bob")
	require.Equal(t, 0, code)
	assert.False(t, u.Verify("bob", pw))

	for _, args := range [][]string{
		{"users", "add", "alice"},
		{"users", "add", "--data", dir},
		{"users", "add", "--data", dir, "bad name"},
		{"users", "rm", "--data", dir, "a", "b"},
	} {
		code, _, _ := runUsersCmd(ctx, "", args...)
		assert.Equal(t, 2, code, args)
	}
	code, _, errs = runUsersCmd(ctx, "", "users", "rm", "--data", dir, "nobody")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "unknown user")
	code, _, errs = runUsersCmd(ctx, "short\n", "users", "passwd", "--data", dir, "alice")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "too short")
}

func TestWebCommand(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errb syncbuf.Buffer
	go func() {
		done <- runMain(ctx, &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }},
			[]string{"web", "--data", dir, "--listen", addr})
	}()
	var resp *http.Response
	require.Eventually(t, func() bool {
		resp, err = http.Get(fmt.Sprintf("http://%s/healthz", addr))
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, errb.String())
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "ok\n", string(body))
	resp, err = http.Get(fmt.Sprintf("http://%s/api/runs", addr))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errb.String())
	case <-time.After(15 * time.Second):
		t.Fatal("web did not stop on cancel")
	}
	assert.Contains(t, errb.String(), "no users yet")

	for _, args := range [][]string{
		{"web"},
		{"web", "--data", dir, "extra"},
		{"web", "--data", dir, "--tls-cert", "x"},
		{"web", "--data", dir, "--trusted-proxy", "not-an-ip"},
		{"web", "--data", dir, "--jsroot", t.TempDir()},
	} {
		code, _, _ := runUsersCmd(context.Background(), "", args...)
		assert.Equal(t, 2, code, args)
	}
}
