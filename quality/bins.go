package quality

import (
	"fmt"
	"math"
	"sync"

	"github.com/overwatch-dqm/overwatch"
)

// sameBinning returns nil when h1 and h2 can be compared bin by bin: both
// present, valid, of the same dimension and with the same binning on every
// axis. The error wraps overwatch.ErrIncompatible.
func sameBinning(h1, h2 *overwatch.Hist) error {
	if h1 == nil || h2 == nil {
		return fmt.Errorf("%w: nil histogram", overwatch.ErrIncompatible)
	}
	if h1.Dim() == 0 || h1.Dim() != h2.Dim() {
		return fmt.Errorf("%w: %s %q is %d-D, %s %q is %d-D", overwatch.ErrIncompatible, h1.Class, h1.Name, h1.Dim(), h2.Class, h2.Name, h2.Dim())
	}
	for d := 0; d < h1.Dim(); d++ {
		a, b := axisOf(h1, d), axisOf(h2, d)
		if !a.SameBinning(b) {
			return fmt.Errorf("%w: %q and %q differ on the %c axis (%d bins [%g,%g] vs %d bins [%g,%g])",
				overwatch.ErrIncompatible, h1.Name, h2.Name, "xyz"[d], a.NBins, a.Min, a.Max, b.NBins, b.Min, b.Max)
		}
	}
	if err := checkCells(h1); err != nil {
		return err
	}
	return checkCells(h2)
}

// checkCells verifies that h is a histogram whose arrays match its axes, so
// that indexing its cells cannot panic.
func checkCells(h *overwatch.Hist) error {
	if h == nil {
		return fmt.Errorf("%w: nil histogram", overwatch.ErrIncompatible)
	}
	if h.Dim() == 0 {
		return fmt.Errorf("%w: %q has unknown histogram class %q", overwatch.ErrIncompatible, h.Name, h.Class)
	}
	if err := h.Validate(); err != nil {
		return fmt.Errorf("%w: %v", overwatch.ErrIncompatible, err)
	}
	return nil
}

func axisOf(h *overwatch.Hist, d int) *overwatch.Axis {
	switch d {
	case 0:
		return &h.X
	case 1:
		return &h.Y
	}
	return &h.Z
}

// binRange returns the per-axis bin ranges ROOT's tests use: the axis range
// when one is set, else 1..NBins; unused axes give 0..0.
func binRange(h *overwatch.Hist) (lo, hi [3]int) {
	dim := h.Dim()
	for d := 0; d < dim; d++ {
		a := axisOf(h, d)
		lo[d], hi[d] = a.FirstBin(), a.LastBin()
	}
	return lo, hi
}

// content is the bin content as ROOT's RetrieveBinContent sees it (the mean
// for profiles, which alone have BinEntries once validated). The callers
// have validated h (checkCells), so bin is in range.
func content(h *overwatch.Hist, bin int) float64 {
	if h.BinEntries == nil {
		return h.Contents[bin]
	}
	return h.BinContent(bin)
}

// errSq is ROOT's GetBinErrorSqUnchecked: the sum of squared weights when
// stored, else the content; the squared error for profiles.
func errSq(h *overwatch.Hist, bin int) float64 {
	if h.BinEntries == nil {
		if h.Sumw2 != nil {
			return h.Sumw2[bin]
		}
		return h.Contents[bin]
	}
	return profErr2(h, bin)
}

// err2 is the squared bin error as TH1::GetBinError gives it: like errSq
// but |content| without Sumw2.
func err2(h *overwatch.Hist, bin int) float64 {
	if h.BinEntries == nil {
		if h.Sumw2 != nil {
			return h.Sumw2[bin]
		}
		return math.Abs(h.Contents[bin])
	}
	return profErr2(h, bin)
}

// profErr2 is a profile's squared bin error.
func profErr2(h *overwatch.Hist, bin int) float64 {
	e := h.BinError(bin)
	return e * e
}

// cellBuf is a reusable list of cells.
type cellBuf struct{ c []int }

var cellPool = sync.Pool{New: func() any { return new(cellBuf) }}

// cells fills b with the cells of the box lo..hi of h, x fastest, and
// returns them; the slice is valid until b goes back to the pool.
func (b *cellBuf) cells(h *overwatch.Hist, lo, hi [3]int) []int {
	sx := h.X.NBins + 2
	sy := sx * (h.Y.NBins + 2)
	switch h.Dim() {
	case 1:
		sx, sy = 0, 0
	case 2:
		sy = 0
	}
	out := b.c[:0]
	for k := lo[2]; k <= hi[2]; k++ {
		for j := lo[1]; j <= hi[1]; j++ {
			row := j*sx + k*sy
			for i := lo[0]; i <= hi[0]; i++ {
				out = append(out, row+i)
			}
		}
	}
	b.c = out
	return out
}

// getCells returns the cells of the box lo..hi of h in a pooled buffer;
// put the buffer back with cellPool.Put when done with the cells.
func getCells(h *overwatch.Hist, lo, hi [3]int) (*cellBuf, []int) {
	b := cellPool.Get().(*cellBuf)
	return b, b.cells(h, lo, hi)
}

// countCells is the number of cells of the box lo..hi.
func countCells(lo, hi [3]int) int {
	return max(0, hi[0]-lo[0]+1) * max(0, hi[1]-lo[1]+1) * max(0, hi[2]-lo[2]+1)
}
