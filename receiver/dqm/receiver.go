package dqm

import (
	"context"
	"errors"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/httpserve"
)

// Receiver is the DQM receiver as an overwatch.Receiver: Run serves the
// uploads through HTTP, the hardened server (internal/httpserve) around a
// *Server (possibly wrapped by middleware), until its context ends.
type Receiver struct {
	HTTP *httpserve.Server
}

var _ overwatch.Receiver = (*Receiver)(nil)

// Run serves until ctx is done, then shuts the server down gracefully.
func (r *Receiver) Run(ctx context.Context) error {
	if r.HTTP == nil {
		return errors.New("dqm: Receiver needs its HTTP server")
	}
	return r.HTTP.Serve(ctx)
}
