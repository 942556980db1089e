package overwatch

import (
	"context"
	"errors"
	"time"
)

// Lease is the right of one holder to do one piece of shared work — to
// process one run's snapshots of one receiver, to compute one time slice —
// until Expires. Several processes (on several machines) sharing a store
// take leases so that each piece is done by one of them at a time, and a
// piece whose holder died (its lease expired) is taken over by another.
type Lease struct {
	// Queue names the kind of work ("process", "slice"), Key the piece
	// ("290001/HLT").
	Queue, Key string
	// Holder identifies the process holding it (unique per process: host,
	// process id and a random part).
	Holder string
	// Token increases with every grant of the lease to any holder while
	// the lease is known to the store: a fencing token, so that writes can
	// be tied to the grant they were made under.
	Token int64
	// Expires is when the lease lapses unless renewed.
	Expires time.Time
}

// ErrLeaseBusy is returned by TryLease when another holder has the lease;
// ErrLeaseLost by RenewLease when the lease expired and was granted
// again (or released) since it was taken: the work must stop and its
// results must not be written.
var (
	ErrLeaseBusy = errors.New("lease is held by another holder")
	ErrLeaseLost = errors.New("lease was lost")
)

// Leaser grants leases. Implementations are safe for concurrent use by
// several processes and machines sharing one store (times are the
// callers' clocks: keep them synchronised well within a lease's TTL).
type Leaser interface {
	// TryLease grants (queue, key) to holder for ttl when nobody holds it,
	// its lease expired, or holder already holds it (then it is renewed
	// with a new token). Otherwise the error wraps ErrLeaseBusy.
	TryLease(ctx context.Context, queue, key, holder string, ttl time.Duration) (Lease, error)
	// RenewLease extends l by ttl from now; the error wraps ErrLeaseLost
	// when l is no longer held (expired and taken, or released).
	RenewLease(ctx context.Context, l Lease, ttl time.Duration) (Lease, error)
	// ReleaseLease gives l up (nothing when it is no longer held).
	ReleaseLease(ctx context.Context, l Lease) error
}
