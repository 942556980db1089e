package webapp

import (
	"context"
	"sync"
	"time"
)

// limiter counts login attempts per key within a sliding window: at most
// max attempts are let through, further ones are refused until the oldest
// leaves the window. An attempt is counted when it is let through, before
// the password is checked, so that parallel guesses cannot all pass the
// check before the first failure is recorded; a successful login gives its
// attempt back.
type limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	attempts map[string][]time.Time
	lastGC   time.Time
}

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, attempts: map[string][]time.Time{}}
}

// prune drops attempts older than the window. Callers hold l.mu.
func (l *limiter) prune(key string, now time.Time) []time.Time {
	f := l.attempts[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.window {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.attempts, key)
		return nil
	}
	l.attempts[key] = f
	return f
}

// gc prunes every key once per window (bounded memory). Callers hold l.mu.
func (l *limiter) gc(now time.Time) {
	if now.Sub(l.lastGC) > l.window {
		for k := range l.attempts {
			l.prune(k, now)
		}
		l.lastGC = now
	}
}

// take lets an attempt through if no key has reached the limit, counting
// it against every key at once (atomically: of n parallel attempts at most
// max pass). Otherwise it counts nothing and returns how long until an
// attempt is allowed again.
func (l *limiter) take(keys ...string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.gc(now)
	for _, k := range keys {
		if f := l.prune(k, now); len(f) >= l.max {
			return false, l.window - now.Sub(f[0])
		}
	}
	for _, k := range keys {
		l.attempts[k] = append(l.attempts[k], now)
	}
	return true, 0
}

// giveBack removes the newest attempt of each key (the attempt succeeded).
func (l *limiter) giveBack(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if f := l.attempts[k]; len(f) > 0 {
			if f = f[:len(f)-1]; len(f) == 0 {
				delete(l.attempts, k)
			} else {
				l.attempts[k] = f
			}
		}
	}
}

// record counts an attempt against a key without any limit (the slow-down
// counters).
func (l *limiter) record(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.gc(now)
	l.attempts[key] = append(l.prune(key, now), now)
}

// count returns the attempts of a key within the window.
func (l *limiter) count(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.prune(key, l.now()))
}

// reset forgets the attempts of a key (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.attempts, key)
}

// Login throttling: the defaults of the slow-down that applies to a user
// name failing from many addresses (it delays, never refuses, so an
// attacker cannot lock a shifter out).
const (
	slowDownStep = 250 * time.Millisecond
	slowDownMax  = 5 * time.Second
	// addrFactor: one address may fail addrFactor×LoginAttempts times in
	// a window, over every user name (password spraying).
	addrFactor = 4
)

// slowDown is the delay before checking a password for a user that
// failed n times within the window from any address, with max attempts
// allowed per (user, address).
func slowDown(n, max int) time.Duration {
	if n < max {
		return 0
	}
	return min(time.Duration(n-max+1)*slowDownStep, slowDownMax)
}

// semaphore bounds concurrent password hashing (bcrypt costs ~0.3 s of a
// core at cost 12).
type semaphore chan struct{}

// acquire waits for a slot until ctx is done or wait has passed.
func (s semaphore) acquire(ctx context.Context, wait time.Duration) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	case <-t.C:
		return false
	}
}

func (s semaphore) release() { <-s }
