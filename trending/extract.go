package trending

import (
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/overwatch-dqm/overwatch"
)

// An Extractor computes a trend value and its error from a processed
// histogram.
type Extractor func(h *overwatch.Hist) (value, err float64)

var (
	extractorsMu sync.RWMutex
	extractors   = map[string]Extractor{
		// Mean along x with its error stddev/sqrt(neff) (ROOT's GetMean,
		// GetMeanError).
		"mean": func(h *overwatch.Hist) (float64, float64) { return h.Mean(0), h.MeanError(0) },
		// Standard deviation along x with its error stddev/sqrt(2 neff)
		// (ROOT's GetStdDev, GetStdDevError).
		"stdDev": func(h *overwatch.Hist) (float64, float64) { return h.StdDev(0), h.StdDevError(0) },
		// Largest bin content within the axis ranges (ROOT's
		// GetMaximumBin; a display override of fMaximum is ignored), no
		// error.
		"max": maximum,
		// Number of entries, with Poisson error.
		"entries": func(h *overwatch.Hist) (float64, float64) { return h.Entries, sqrtAbs(h.Entries) },
		// Sum of in-range contents with its error sqrt(sum sumw2).
		"integral": integral,
	}
)

// RegisterExtractor adds an extractor usable in trend declarations under
// name. Registering a name twice is an error.
func RegisterExtractor(name string, e Extractor) error {
	if name == "" || e == nil {
		return fmt.Errorf("trending: RegisterExtractor needs a name and a function")
	}
	extractorsMu.Lock()
	defer extractorsMu.Unlock()
	if _, dup := extractors[name]; dup {
		return fmt.Errorf("trending: extractor %q already registered", name)
	}
	extractors[name] = e
	return nil
}

// LookupExtractor returns the extractor registered under name.
func LookupExtractor(name string) (Extractor, bool) {
	extractorsMu.RLock()
	defer extractorsMu.RUnlock()
	e, ok := extractors[name]
	return e, ok
}

// Extractors lists the registered extractor names, sorted.
func Extractors() []string {
	extractorsMu.RLock()
	defer extractorsMu.RUnlock()
	out := make([]string, 0, len(extractors))
	for k := range extractors {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func integral(h *overwatch.Hist) (float64, float64) {
	if h.IsProfile() {
		var s, e2 float64
		for bin := range h.Contents {
			if h.IsInRange(bin) {
				s += h.BinContent(bin)
				be := h.BinError(bin)
				e2 += be * be
			}
		}
		return s, math.Sqrt(e2)
	}
	// In-range cells row by row, without per-cell index arithmetic.
	ylo, yhi, zlo, zhi := 0, 0, 0, 0
	if h.Dim() >= 2 {
		ylo, yhi = 1, h.Y.NBins
	}
	if h.Dim() == 3 {
		zlo, zhi = 1, h.Z.NBins
	}
	nx := h.X.NBins
	var s, e2 float64
	for iz := zlo; iz <= zhi; iz++ {
		for iy := ylo; iy <= yhi; iy++ {
			row := h.Bin(1, iy, iz)
			c := h.Contents[row : row+nx]
			for _, v := range c {
				s += v
			}
			if h.Sumw2 != nil {
				for _, v := range h.Sumw2[row : row+nx] {
					e2 += v
				}
			} else {
				for _, v := range c {
					e2 += math.Abs(v)
				}
			}
		}
	}
	return s, math.Sqrt(e2)
}

func maximum(h *overwatch.Hist) (float64, float64) {
	bin := h.MaximumBin()
	if bin == 0 || !h.IsInRange(bin) {
		return math.NaN(), 0 // no cell in range
	}
	return h.BinContent(bin), 0
}
