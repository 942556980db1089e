package webapp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// privateDirName is the directory of the data dir holding the web app's
// secrets (users file, session key). The web app never serves it: it
// serves only artifacts known to the store index.
const privateDirName = ".webapp"

const (
	sessionCookie = "ow_session"
	loginCookie   = "ow_login"
	csrfHeader    = "X-CSRF-Token"
	csrfField     = "csrf_token"
)

// SecretPath returns the session secret file of a data directory.
func SecretPath(dataDir string) string {
	return filepath.Join(dataDir, privateDirName, "session.key")
}

// LoadOrCreateSecret reads the 32-byte session secret at path, creating it
// from crypto/rand with mode 0600 on first start. A file that is too short,
// or readable by others, is an error: the secret signs every session.
func LoadOrCreateSecret(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("webapp: generate session secret: %w", err)
		}
		if err := writeFileAtomic(path, []byte(hex.EncodeToString(key)+"\n")); err != nil {
			return nil, fmt.Errorf("webapp: store session secret: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("webapp: read session secret: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("webapp: session secret %s has mode %v, expected 0600", path, st.Mode().Perm())
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("webapp: session secret %s: expected 64 hex digits", path)
	}
	return key, nil
}

// session is the signed content of the session cookie.
type session struct {
	User        string
	Expires     time.Time
	Nonce       string // random, per login: keys the CSRF token
	Fingerprint string // digest of the user's password hash at login

	// Not in the cookie: the user's current role (from the users file on
	// every request) and, for a request authenticated by an API token,
	// the token's ID.
	Role  Role
	Token string
}

// sessions signs and checks session cookies with HMAC-SHA256.
type sessions struct {
	key    []byte
	ttl    time.Duration
	secure bool
	now    func() time.Time
}

func (s *sessions) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

func randomToken() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic("webapp: crypto/rand failed: " + err.Error()) // the OS random source never fails on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// strictB64 decodes only the canonical unpadded URL-safe encoding.
var strictB64 = base64.RawURLEncoding.Strict()

// encode returns the cookie value of a session.
func (s *sessions) encode(ss session) string {
	payload := strings.Join([]string{ss.User, strconv.FormatInt(ss.Expires.Unix(), 10), ss.Nonce, ss.Fingerprint}, "|")
	p := base64.RawURLEncoding.EncodeToString([]byte(payload))
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac("session", p))
}

// decode verifies a cookie value (constant-time MAC comparison) and its
// expiry.
func (s *sessions) decode(v string) (session, bool) {
	p, sig, ok := strings.Cut(v, ".")
	if !ok || len(v) > 1024 || strings.ContainsAny(v, "\r\n") { // the decoder skips CR and LF
		return session{}, false
	}
	// Strict decoding: one encoding per signature and payload (non-zero
	// padding bits would give several cookie values for one session).
	got, err := strictB64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac("session", p)) {
		return session{}, false
	}
	raw, err := strictB64.DecodeString(p)
	if err != nil {
		return session{}, false
	}
	f := strings.Split(string(raw), "|")
	if len(f) != 4 {
		return session{}, false
	}
	exp, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return session{}, false
	}
	ss := session{User: f[0], Expires: time.Unix(exp, 0), Nonce: f[2], Fingerprint: f[3]}
	if !s.now().Before(ss.Expires) {
		return session{}, false
	}
	return ss, true
}

// csrfToken is the CSRF token of a session (or of a login form nonce).
func (s *sessions) csrfToken(nonce string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("csrf", nonce))
}

// checkCSRF compares a presented token with the expected one in constant
// time.
func (s *sessions) checkCSRF(nonce, presented string) bool {
	if nonce == "" || presented == "" {
		return false
	}
	want := s.csrfToken(nonce)
	return subtle.ConstantTimeCompare([]byte(want), []byte(presented)) == 1
}

func (s *sessions) cookie(r *http.Request, name, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   s.secure || r.TLS != nil,
	}
	if maxAge < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge / time.Second)
	}
	return c
}
