package webapp

import "time"

// TransferStaleAfter is how old the transfer job's status may be before
// the status page calls it stale: the job rewrites it every 5 s, so an
// older one means no transfer job is running on this data directory.
const TransferStaleAfter = 30 * time.Second

// TransferDestination is the state of one destination of the transfer
// job (`overwatch transfer`, or the transfer job of `serve`), as the job
// last reported it.
type TransferDestination struct {
	Name string `json:"name"`
	// Pending is the number of snapshots not yet at the destination and
	// LagSeconds the age of the oldest of them (0 when none is pending).
	Pending    int     `json:"pending"`
	LagSeconds float64 `json:"lagSeconds"`
	// LastError is the last failure's message (empty after a success);
	// LastSuccess is when the last snapshot was verified at the
	// destination (zero: never, by the running job).
	LastError   string    `json:"lastError,omitempty"`
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	Failures    int64     `json:"failures"`
}

// TransferStatus is the transfer job's last report.
type TransferStatus struct {
	// Updated is when the job wrote it and AgeSeconds how long ago;
	// Stale is true when that is more than TransferStaleAfter.
	Updated    time.Time `json:"updated"`
	AgeSeconds float64   `json:"ageSeconds"`
	Stale      bool      `json:"stale"`
	// Error tells why the report could not be read (then Destinations
	// is empty).
	Error        string                `json:"error,omitempty"`
	Destinations []TransferDestination `json:"destinations"`
}

// TransferReader tells the transfer job's state at time now, nil when no
// transfer job has reported on this data directory: the web app's only
// view of the transfer (package cli reads the job's status file).
type TransferReader interface {
	TransferStatus(now time.Time) *TransferStatus
}

// TransferFunc adapts a function to TransferReader.
type TransferFunc func(now time.Time) *TransferStatus

// TransferStatus implements TransferReader.
func (f TransferFunc) TransferStatus(now time.Time) *TransferStatus { return f(now) }
