package receiver

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch/internal/fsutil"
)

// WriteFileAtomic writes data to path (mode 0644) through a temporary
// file in the same directory and a rename, so readers see either the old
// or the new content. With sync the file and its directory are fsynced.
func WriteFileAtomic(path string, data []byte, sync bool) error {
	if err := fsutil.WriteFileAtomic(path, data, 0o644, sync); err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	return nil
}
