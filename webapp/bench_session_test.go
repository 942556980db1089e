package webapp

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkSessionCheck: the per-request session check. "cookie" is the
// previous check (signature and password fingerprint), "cookie+record"
// adds the server-side session record read from the data directory.
func BenchmarkSessionCheck(b *testing.B) {
	e := newEnv(b)
	fp, _ := e.app.cfg.Users.fingerprint(testUser)
	ss := session{User: testUser, Expires: time.Now().Add(time.Hour), Nonce: randomToken(), Fingerprint: fp}
	if err := e.app.cfg.Sessions.CreateSession(context.Background(), ss.Nonce, SessionRecord{User: testUser, Expires: ss.Expires}); err != nil {
		b.Fatal(err)
	}
	val := e.app.sess.encode(ss)
	req := httptest.NewRequest("GET", "/api/runs", nil)
	req.Header.Set("Cookie", sessionCookie+"="+val)
	b.Run("cookie", func(b *testing.B) {
		for b.Loop() {
			c, _ := req.Cookie(sessionCookie)
			s, ok := e.app.sess.decode(c.Value)
			if f, ok2 := e.app.cfg.Users.fingerprint(s.User); !ok || !ok2 || f != s.Fingerprint {
				b.Fatal("rejected")
			}
		}
	})
	b.Run("cookie+record", func(b *testing.B) {
		for b.Loop() {
			if _, ok := e.app.currentSession(req); !ok {
				b.Fatal("rejected")
			}
		}
	})
}
