package timeslice

import (
	"fmt"
	"math"

	ow "github.com/overwatch-dqm/overwatch"
)

// Validate checks what a request says by itself — a valid subsystem name, a
// window of finite, non-negative minutes whose end is not before its start
// (or Unix seconds whose end follows its start), options the subsystem's detector declares — and returns the
// parsed option values. Its errors wrap ErrInvalidRequest. The service
// validates every request with it; the web app calls it to answer a bad
// request before submitting it: one set of rules.
func (r Request) Validate() (ow.Values, error) {
	if !ow.ValidSubsystem(r.Subsystem) {
		return nil, fmt.Errorf("%w: invalid subsystem %q", ErrInvalidRequest, r.Subsystem)
	}
	if r.ToUnix > 0 || r.FromUnix > 0 {
		if r.FromUnix < 0 || r.ToUnix <= r.FromUnix {
			return nil, fmt.Errorf("%w: window end %d must follow its start %d (Unix seconds)", ErrInvalidRequest, r.ToUnix, r.FromUnix)
		}
	} else {
		for _, m := range []float64{r.FromMinute, r.ToMinute} {
			if math.IsNaN(m) || math.IsInf(m, 0) {
				return nil, fmt.Errorf("%w: window minutes must be finite numbers", ErrInvalidRequest)
			}
		}
		if r.FromMinute < 0 {
			return nil, fmt.Errorf("%w: window: from=%g must not be negative", ErrInvalidRequest, r.FromMinute)
		}
		if r.ToMinute < r.FromMinute {
			return nil, fmt.Errorf("%w: window: to=%g must not be less than from=%g", ErrInvalidRequest, r.ToMinute, r.FromMinute)
		}
	}
	values, err := ow.ParseValues(ow.DetectorOptions(r.Subsystem), r.Options)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return values, nil
}
