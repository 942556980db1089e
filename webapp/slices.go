package webapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/overwatch-dqm/overwatch/timeslice"
)

// TimeSlices adapts the timeslice service to the web app's SliceService.
// The request's minutes are minutes since the start of the run; errors
// about a request that can never succeed wrap ErrInvalidSlice (400).
func TimeSlices(s *timeslice.Service) SliceService { return sliceAdapter{s} }

type sliceAdapter struct{ s *timeslice.Service }

// Submit implements SliceService.
func (a sliceAdapter) Submit(ctx context.Context, req SliceRequest) (SliceStatus, error) {
	key, err := a.s.Submit(ctx, timeslice.Request{Run: req.Run, Subsystem: req.Subsystem,
		FromMinute: req.From, ToMinute: req.To, Options: req.Options})
	if err != nil {
		return SliceStatus{}, sliceErr(err)
	}
	return a.Status(ctx, req.Run, req.Subsystem, key)
}

// Status implements SliceService.
func (a sliceAdapter) Status(ctx context.Context, run int, sys, key string) (SliceStatus, error) {
	st, err := a.s.Status(ctx, run, sys, key)
	if err != nil {
		return SliceStatus{}, sliceErr(err)
	}
	return convertStatus(st), nil
}

func convertStatus(st timeslice.Status) SliceStatus {
	out := SliceStatus{Key: st.Key, Progress: st.Progress, Error: st.Error}
	switch st.State {
	case timeslice.StateDone:
		out.State = SliceDone
	case timeslice.StateFailed:
		out.State = SliceFailed
	default:
		out.State = SliceRunning
		if st.Stage == "queued" || st.Stage == "" {
			out.State = SliceQueued
		}
	}
	return out
}

func sliceErr(err error) error {
	if errors.Is(err, timeslice.ErrInvalidRequest) && !errors.Is(err, ErrInvalidSlice) {
		return fmt.Errorf("%w: %w", ErrInvalidSlice, err)
	}
	return err
}
