package dqm

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
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
	"github.com/overwatch-dqm/overwatch/store"
)

const origName = "EMChistos_123456_DQM_1970_01_02_16_07_24.root"

type fixture struct {
	srv   *httptest.Server
	dqm   *Server
	st    *store.Store
	dir   string
	token string
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t testing.TB, maxSize int64) *fixture {
	t.Helper()
	return newFixtureWith(t, func(c *Config) { c.MaxSize = maxSize })
}

// newFixtureWith is newFixture with a configuration edited by edit.
func newFixtureWith(t testing.TB, edit func(*Config)) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{Logger: quiet()})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	toks, err := OpenTokens(TokensPath(dir))
	require.NoError(t, err)
	tok, err := toks.Add("amore", time.Now())
	require.NoError(t, err)
	cfg := Config{Store: st, DataDir: dir, Tokens: toks, Logger: quiet()}
	edit(&cfg)
	s, err := New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, dqm: s, st: st, dir: dir, token: tok}
}

// testFile returns a small valid ROOT file holding a TH1F named "test", as
// the original's test file.
func testFile(t testing.TB) []byte {
	t.Helper()
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "test", "test", overwatch.NewAxis(10, 0, 10))
	for i := 0; i < 100; i++ {
		require.NoError(t, h.Fill(1, float64(i%10)+0.5))
	}
	b, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "test", Object: h}})
	require.NoError(t, err)
	return b
}

func (f *fixture) do(t testing.TB, method, path string, hdr map[string]string, body io.Reader, ct string) (int, map[string]any, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, raw
}

func multipartBody(t testing.TB, field string, data []byte) (io.Reader, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if field != "" {
		fw, err := mw.CreateFormFile(field, "upload.root")
		require.NoError(t, err)
		_, _ = fw.Write(data)
	}
	require.NoError(t, mw.Close())
	return &b, mw.FormDataContentType()
}

func uploadHeaders(tok string) map[string]string {
	return map[string]string{"token": tok, "runNumber": "123456", "timeStamp": "140844", "amoreAgent": "EMC", "dataStatus": "1"}
}

// §10.1 case 1: the token checks.
func TestTokenChecks(t *testing.T) {
	f := newFixture(t, 0)
	code, m, _ := f.do(t, "GET", "/", nil, nil, "")
	assert.Equal(t, 400, code)
	assert.Equal(t, MsgNoToken, m["message"])
	code, m, _ = f.do(t, "GET", "/", map[string]string{"token": "123456"}, nil, "")
	assert.Equal(t, 400, code)
	assert.Equal(t, MsgBadToken, m["message"])
	code, m, _ = f.do(t, "GET", "/", map[string]string{"token": f.token}, nil, "")
	assert.Equal(t, 400, code)
	assert.Equal(t, MsgNotImpl, m["message"])
	code, m, _ = f.do(t, "POST", "/", map[string]string{"Authorization": "Bearer " + f.token}, nil, "")
	assert.Equal(t, 400, code)
	assert.Equal(t, MsgNotImpl, m["message"], "Authorization: Bearer works as well")
}

// §10.1 cases 2–4: upload, list, download.
func TestUploadListDownload(t *testing.T) {
	f := newFixture(t, 0)
	data := testFile(t)
	body, ct := multipartBody(t, "file", data)
	code, m, raw := f.do(t, "POST", "/rest/api/files", uploadHeaders(f.token), body, ct)
	require.Equal(t, 200, code, string(raw))
	assert.EqualValues(t, 200, m["status"])
	assert.Equal(t, MsgOK, m["message"])
	assert.Equal(t, origName, m["filename"])
	assert.Equal(t, map[string]any{"test": "Obj name: test, Obj IsA() Name: TH1F"}, m["received"])
	hdrs := m["receivedHeaders"].(map[string]any)
	assert.Equal(t, "123456", hdrs["Runnumber"])
	assert.NotContains(t, hdrs, "Token", "the token is never echoed")
	assert.NotContains(t, string(raw), f.token)

	// The snapshot is in the store, byte for byte.
	snaps, err := f.st.Snapshots(t.Context(), 123456, "EMC")
	require.NoError(t, err)
	require.Len(t, snaps, 1)
	assert.Equal(t, overwatch.ModeDQM, snaps[0].Mode)
	assert.Equal(t, int64(140844), snaps[0].Time.Unix())
	stored, err := os.ReadFile(filepath.Join(f.dir, snaps[0].Path))
	require.NoError(t, err)
	assert.Equal(t, data, stored)

	require.NoError(t, os.WriteFile(filepath.Join(f.dir, "uploads", "ignoreFile.txt"), []byte("x"), 0o644))
	code, m, _ = f.do(t, "GET", "/rest/api/files", map[string]string{"token": f.token}, nil, "")
	assert.Equal(t, 200, code)
	assert.Equal(t, []any{origName}, m["files"])

	code, _, got := f.do(t, "GET", "/rest/api/files/"+origName, map[string]string{"token": f.token}, nil, "")
	assert.Equal(t, 200, code)
	assert.Equal(t, data, got)

	// The same name again: never overwritten.
	body, ct = multipartBody(t, "file", testFile(t))
	code, m, _ = f.do(t, "POST", "/rest/api/files", uploadHeaders(f.token), body, ct)
	assert.Equal(t, 409, code)
	assert.Equal(t, MsgExists, m["message"])

	// A raw body works as well (another time stamp).
	hdr := uploadHeaders(f.token)
	hdr["timeStamp"] = "140845"
	code, m, _ = f.do(t, "POST", "/rest/api/files", hdr, bytes.NewReader(data), "application/octet-stream")
	assert.Equal(t, 200, code, m)
}

// §10.1 case 5: the error cases.
func TestUploadErrors(t *testing.T) {
	f := newFixture(t, 0)
	body, ct := multipartBody(t, "", nil)
	code, m, _ := f.do(t, "POST", "/rest/api/files", uploadHeaders(f.token), body, ct)
	assert.Equal(t, 400, code)
	assert.Equal(t, MsgEmpty, m["message"])

	body, ct = multipartBody(t, "file", []byte("Hello world"))
	code, m, _ = f.do(t, "POST", "/rest/api/files", uploadHeaders(f.token), body, ct)
	assert.Equal(t, 400, code)
	assert.Equal(t, MsgInvalidFile, m["message"])
	assert.Equal(t, origName, m["filename"])
	assert.Nil(t, m["received"])
	q, err := filepath.Glob(filepath.Join(f.dir, "quarantine", "dqm", "*"+origName))
	require.NoError(t, err)
	assert.Len(t, q, 1, "the invalid upload is quarantined")
	_, err = os.Stat(filepath.Join(f.dir, "uploads", origName))
	assert.True(t, os.IsNotExist(err), "and not listed")

	for _, h := range []string{"runNumber", "timeStamp", "dataStatus"} {
		hdr := uploadHeaders(f.token)
		hdr[h] = "Hello world"
		body, ct = multipartBody(t, "file", testFile(t))
		code, m, _ = f.do(t, "POST", "/rest/api/files", hdr, body, ct)
		assert.Equal(t, 400, code, h)
		require.IsType(t, []any{}, m["message"], h)
		msg := m["message"].([]any)
		require.Len(t, msg, 1)
		assert.True(t, strings.HasPrefix(msg[0].(string), "invalid literal for int() with base 10: 'Hello world'"), msg[0])
	}
	for _, miss := range []string{"runNumber", "timeStamp"} {
		hdr := uploadHeaders(f.token)
		delete(hdr, miss)
		body, ct = multipartBody(t, "file", testFile(t))
		code, m, _ = f.do(t, "POST", "/rest/api/files", hdr, body, ct)
		assert.Equal(t, 400, code, miss)
		assert.Contains(t, m["message"], miss)
	}
	hdr := uploadHeaders(f.token)
	hdr["amoreAgent"] = "../../etc"
	body, ct = multipartBody(t, "file", testFile(t))
	code, _, _ = f.do(t, "POST", "/rest/api/files", hdr, body, ct)
	assert.Equal(t, 400, code)
}

func TestOversizedUpload(t *testing.T) {
	f := newFixture(t, 4096)
	big := make([]byte, 100_000)
	code, m, _ := f.do(t, "POST", "/rest/api/files", uploadHeaders(f.token), bytes.NewReader(big), "application/octet-stream")
	assert.Equal(t, 413, code)
	assert.Contains(t, m["message"], "4096")
	body, ct := multipartBody(t, "file", big)
	code, _, _ = f.do(t, "POST", "/rest/api/files", uploadHeaders(f.token), body, ct)
	assert.Equal(t, 413, code)
	assert.EqualValues(t, 2, f.dqm.Stats().TooLarge)
}

func TestTruncatedAndHostileUploadsNeverReplaceGoodData(t *testing.T) {
	f := newFixture(t, 0)
	good := testFile(t)
	hdr := uploadHeaders(f.token)
	code, _, _ := f.do(t, "POST", "/rest/api/files", hdr, bytes.NewReader(good), "application/octet-stream")
	require.Equal(t, 200, code)
	sum := sha256.Sum256(good)
	for i, bad := range [][]byte{good[:len(good)/2], append([]byte("root"), bytes.Repeat([]byte{0xff}, 500)...), bytes.Repeat([]byte{0}, 2000)} {
		h := uploadHeaders(f.token)
		h["timeStamp"] = "140900"
		code, m, _ := f.do(t, "POST", "/rest/api/files", h, bytes.NewReader(bad), "application/octet-stream")
		assert.Equal(t, 400, code, "case %d", i)
		assert.Equal(t, MsgInvalidFile, m["message"])
		// Same name as the good upload: still refused before anything else.
		code, _, _ = f.do(t, "POST", "/rest/api/files", hdr, bytes.NewReader(bad), "application/octet-stream")
		assert.Equal(t, 400, code)
	}
	_, _, got := f.do(t, "GET", "/rest/api/files/"+origName, map[string]string{"token": f.token}, nil, "")
	assert.Equal(t, sum, sha256.Sum256(got), "good data untouched")
}

func TestDownloadRefusesTraversal(t *testing.T) {
	f := newFixture(t, 0)
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, "secret.txt"), []byte("s"), 0o600))
	for _, p := range []string{"/rest/api/files/..%2Fsecret.txt", "/rest/api/files/secret.txt", "/rest/api/files/..%2F..%2Fetc%2Fpasswd", "/rest/api/files/%2Fetc%2Fpasswd", "/rest/api/files/index.db"} {
		code, _, _ := f.do(t, "GET", p, map[string]string{"token": f.token}, nil, "")
		assert.Equal(t, 404, code, p)
	}
}

func TestServerRefusesToStartWithoutTokens(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{Logger: quiet()})
	require.NoError(t, err)
	defer st.Close()
	toks, err := OpenTokens(TokensPath(dir))
	require.NoError(t, err)
	_, err = New(Config{Store: st, DataDir: dir, Tokens: toks})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "overwatch tokens add")
}

func TestTokensFileIsPrivateAndHashed(t *testing.T) {
	dir := t.TempDir()
	toks, err := OpenTokens(TokensPath(dir))
	require.NoError(t, err)
	tok, err := toks.Add("client-1", time.Unix(1, 0))
	require.NoError(t, err)
	_, err = toks.Add("client-1", time.Unix(2, 0))
	assert.Error(t, err)
	st, err := os.Stat(TokensPath(dir))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	dst, err := os.Stat(filepath.Dir(TokensPath(dir)))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dst.Mode().Perm())
	b, err := os.ReadFile(TokensPath(dir))
	require.NoError(t, err)
	assert.NotContains(t, string(b), tok)
	again, err := OpenTokens(TokensPath(dir))
	require.NoError(t, err)
	name, err := again.Check(tok)
	require.NoError(t, err)
	assert.Equal(t, "client-1", name)
	_, err = again.Check(tok + "x")
	assert.ErrorIs(t, err, ErrNoToken)
	require.NoError(t, again.Remove("client-1"))
	_, err = again.Check(tok)
	assert.ErrorIs(t, err, ErrNoToken)
	assert.Error(t, again.Remove("client-1"))
	_, err = again.Add("bad/name", time.Now())
	assert.Error(t, err)
}

func FuzzUpload(f *testing.F) {
	fx := newFixture(f, 1<<20)
	good := testFile(f)
	f.Add(good, "123456", "140844", "EMC", "multipart")
	f.Add([]byte("Hello world"), "x", "-5", "../..", "raw")
	f.Add(good[:100], "1", "1", "TPC", "raw")
	f.Fuzz(func(t *testing.T, data []byte, run, ts, agent, kind string) {
		hdr := map[string]string{"token": fx.token, "runNumber": run, "timeStamp": ts, "amoreAgent": agent}
		for k, v := range hdr {
			if strings.ContainsAny(v, "\r\n\x00") || !validHeaderValue(v) {
				delete(hdr, k)
			}
		}
		var body io.Reader = bytes.NewReader(data)
		ct := "application/octet-stream"
		if kind == "multipart" {
			body, ct = multipartBody(t, "file", data)
		}
		code, _, _ := fx.do(t, "POST", "/rest/api/files", hdr, body, ct)
		if code >= 500 {
			t.Fatalf("server error %d", code)
		}
	})
}

func validHeaderValue(v string) bool {
	for _, r := range v {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return false
		}
	}
	return true
}
