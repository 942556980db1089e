package webapp

import (
	"sync"
	"time"
)

// limiter limits failed login attempts per key (client address, user
// name): at most max failures within window; further attempts are refused
// until the oldest failure leaves the window.
type limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
	lastGC   time.Time
}

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, failures: map[string][]time.Time{}}
}

// prune drops failures older than the window. Callers hold l.mu.
func (l *limiter) prune(key string, now time.Time) []time.Time {
	f := l.failures[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.window {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.failures, key)
		return nil
	}
	l.failures[key] = f
	return f
}

// allow reports whether another attempt is allowed for every key, and if
// not how long until one is.
func (l *limiter) allow(keys ...string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastGC) > l.window {
		for k := range l.failures {
			l.prune(k, now)
		}
		l.lastGC = now
	}
	for _, k := range keys {
		f := l.prune(k, now)
		if len(f) >= l.max {
			return false, l.window - now.Sub(f[0])
		}
	}
	return true, 0
}

// fail records a failed attempt for every key.
func (l *limiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		l.failures[k] = append(l.prune(k, now), now)
	}
}

// reset forgets the failures of a key (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}
