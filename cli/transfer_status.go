package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/overwatch-dqm/overwatch/webapp"
)

// maxTransferStatus bounds the status file read for the web app (a
// destination takes a few hundred bytes).
const maxTransferStatus = 1 << 20

// webTransfers hands the web app the transfer job's status file of
// dataDir (written every 5 s by `overwatch transfer` or the transfer job
// of `serve`): nil when there is none, an Error when it cannot be read.
func webTransfers(dataDir string) webapp.TransferReader {
	path := transferStatusPath(dataDir)
	return webapp.TransferFunc(func(now time.Time) *webapp.TransferStatus {
		st, err := readTransferStatus(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return &webapp.TransferStatus{Error: err.Error()}
		}
		ws := &webapp.TransferStatus{Updated: st.Updated, Destinations: []webapp.TransferDestination{}}
		ws.AgeSeconds = max(0, now.Sub(st.Updated).Seconds())
		ws.Stale = now.Sub(st.Updated) > webapp.TransferStaleAfter
		for _, d := range st.Destinations {
			ws.Destinations = append(ws.Destinations, webapp.TransferDestination{
				Name: d.Destination, Pending: d.Pending, LagSeconds: d.LagSeconds,
				LastError: d.LastError, LastSuccess: d.LastSent, Failures: d.Failures,
			})
		}
		return ws
	})
}

func readTransferStatus(path string) (*transferStatus, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTransferStatus+1))
	if err != nil {
		return nil, fmt.Errorf("transfer status %s: %w", path, err)
	}
	if len(b) > maxTransferStatus {
		return nil, fmt.Errorf("transfer status %s: larger than %d bytes", path, maxTransferStatus)
	}
	var st transferStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("transfer status %s: %w", path, err)
	}
	return &st, nil
}
