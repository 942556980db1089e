package webapp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzSessionCookie: arbitrary cookie values never crash the decoder and
// are never accepted unless they carry a valid signature.
func FuzzSessionCookie(f *testing.F) {
	s := &sessions{key: []byte(strings.Repeat("k", 32)), now: time.Now}
	good := s.encode(session{User: "alice", Expires: time.Now().Add(time.Hour), Nonce: "n", Fingerprint: "fp"})
	// The signature's last character carries two unused bits: flipping one
	// is another (non-canonical) encoding of the same signature, which a
	// strict decoder rejects; so is one with a line feed inside.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, good[len(good)-1])
	malleable := good[:len(good)-1] + string(alphabet[last^1])
	withLF := good[:len(good)-4] + "\n" + good[len(good)-4:]
	for _, seed := range []string{good, malleable, withLF, "", ".", "a.b", good + "x", strings.Repeat("A", 2000), "YWxpY2V8OTk5OTk5OTk5OXxufGZw.AAAA"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ss, ok := s.decode(v)
		if ok {
			// Accepted values re-encode to themselves: only our signature
			// makes a valid cookie.
			assert.Equal(t, v, s.encode(ss))
		}
	})
}

// FuzzSliceQuery: arbitrary page URLs give either a valid request or a
// 4xx error, never a panic.
func FuzzSliceQuery(f *testing.F) {
	for _, seed := range []string{"from=0&to=5", "from=1e308&to=inf", "from=NaN&to=1", "to=3", "from=2&to=1", "from=0&to=5&o.x=1", "from=%zz", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		req, err := sliceFromQuery(q, 1, "EMC")
		if err != nil {
			var he *httpError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, 400, he.code)
			return
		}
		if req != nil {
			assert.True(t, req.FromMinute >= 0 && req.ToMinute >= req.FromMinute)
			// The permalink reproduces the request.
			u, err := url.Parse(permalink(req, 1, "EMC", "", ""))
			require.NoError(t, err)
			again, err := sliceFromQuery(u.Query(), 1, "EMC")
			require.NoError(t, err)
			assert.Equal(t, req, again)
		}
	})
}

// FuzzSafeNext: the login redirect target is always a local path, also
// as the browser resolves the Location the server answers (cleaned by
// http.Redirect, '\\' read as '/').
func FuzzSafeNext(f *testing.F) {
	for _, seed := range []string{"/runs", "//evil", "/\\evil", "https://x", "/run/1/EMC?a=b", "\x00", "/%2F%2Fevil", "/x/../%5Cevil.com", "/x/..//evil.com"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		require.True(t, strings.HasPrefix(got, "/"))
		require.False(t, strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n\t\x00"))
		u, err := url.Parse(got)
		require.NoError(t, err)
		require.Empty(t, u.Host)
		require.Empty(t, u.Scheme)
		rec := httptest.NewRecorder()
		http.Redirect(rec, httptest.NewRequest("GET", "/login", nil), got, http.StatusSeeOther)
		assertLocal(t, rec.Header().Get("Location"))
	})
}
