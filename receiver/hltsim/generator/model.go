package generator

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/overwatch-dqm/overwatch"
)

// shapeKind names the form of a one-dimensional marginal distribution.
type shapeKind int

const (
	shapeUniform shapeKind = iota // flat over the axis
	shapeGauss                    // Gaussian of mean a, sigma b
	shapeExpo                     // exp(-(x-a)/b) for x >= a
	shapeGamma                    // x^a exp(-x/b) for x > 0 (Landau-like)
	shapeWeights                  // explicit per-bin weights
)

// shape is a marginal distribution along one axis. The expected content of
// a cell is rate × px(ix) × py(iy) × pz(iz): distributions are factorised,
// which is enough for synthetic monitoring data and makes sampling cheap.
type shape struct {
	kind    shapeKind
	a, b    float64
	weights []float64 // shapeWeights: weight of bin i+1
}

func uniform() shape              { return shape{kind: shapeUniform} }
func gauss(mu, sig float64) shape { return shape{kind: shapeGauss, a: mu, b: sig} }
func expo(x0, slope float64) shape {
	return shape{kind: shapeExpo, a: x0, b: slope}
}
func gammaShape(k, theta float64) shape { return shape{kind: shapeGamma, a: k, b: theta} }

// density returns the unnormalised density at x (shifted by shift).
func (s shape) density(x, shift float64, bin int) float64 {
	x -= shift
	switch s.kind {
	case shapeGauss:
		d := (x - s.a) / s.b
		return math.Exp(-0.5 * d * d)
	case shapeExpo:
		if x < s.a {
			return 0
		}
		return math.Exp(-(x - s.a) / s.b)
	case shapeGamma:
		if x <= 0 {
			return 0
		}
		return math.Pow(x, s.a) * math.Exp(-x/s.b)
	case shapeWeights:
		if bin-1 < len(s.weights) {
			return s.weights[bin-1]
		}
		return 0
	}
	return 1
}

// pmf returns the normalised probabilities of the in-range bins of ax
// (index i is bin i+1). A shape with no mass on the axis gives all zeros.
func (s shape) pmf(ax *overwatch.Axis, shift float64) []float64 {
	p := make([]float64, ax.NBins)
	var sum float64
	for i := range p {
		v := s.density(ax.BinCenter(i+1), shift, i+1)
		if v < 0 || math.IsNaN(v) {
			v = 0
		}
		p[i] = v
		sum += v
	}
	if sum > 0 {
		for i := range p {
			p[i] /= sum
		}
	}
	return p
}

// model is one synthetic histogram with the law that fills it.
type model struct {
	h      *overwatch.Hist
	rate   float64 // expected entries per event
	shapes [3]shape
	events bool // the event counter histogram: bin 1 counts events

	drift float64 // shift of the x distribution per second of run time
	hot   map[int]float64

	// dead cells stop filling from deadFrom seconds of run time on (a
	// dead region, deadregion.go); deadNow is set while they are dead.
	deadCells map[int]bool
	deadFrom  float64
	deadNow   bool

	pmf     [3][]float64
	cdf     [3][]float64
	centers [3][]float64
	shift   float64
}

func newModel(h *overwatch.Hist, rate float64, shapes ...shape) *model {
	m := &model{h: h, rate: rate}
	for i := range m.shapes {
		m.shapes[i] = uniform()
	}
	copy(m.shapes[:], shapes)
	axes := m.axes()
	for d, ax := range axes {
		c := make([]float64, ax.NBins+2)
		for i := range c {
			c[i] = ax.BinCenter(i)
		}
		m.centers[d] = c
	}
	m.recompute(0)
	return m
}

func (m *model) axes() []*overwatch.Axis {
	all := []*overwatch.Axis{&m.h.X, &m.h.Y, &m.h.Z}
	return all[:m.h.Dim()]
}

// recompute builds the per-axis probabilities for a drift shift of the x
// distribution.
func (m *model) recompute(shift float64) {
	m.shift = shift
	for d, ax := range m.axes() {
		sh := 0.0
		if d == 0 {
			sh = shift
		}
		p := m.shapes[d].pmf(ax, sh)
		c := make([]float64, len(p))
		var acc float64
		for i, v := range p {
			acc += v
			c[i] = acc
		}
		m.pmf[d], m.cdf[d] = p, c
	}
}

// nCells returns the number of in-range cells.
func (m *model) nCells() int {
	n := 1
	for _, ax := range m.axes() {
		n *= ax.NBins
	}
	return n
}

// fill adds the hits of n events taken at run time t (seconds).
func (m *model) fill(rng *rand.Rand, n float64, t float64) {
	if n <= 0 {
		return
	}
	if m.events {
		m.add(1, 0, 0, n)
		return
	}
	m.deadNow = len(m.deadCells) > 0 && t >= m.deadFrom
	if m.drift != 0 {
		if s := m.drift * t; s != m.shift {
			m.recompute(s)
		}
	}
	if m.rate > 0 {
		expected := m.rate * n
		if expected < float64(m.nCells()) {
			m.fillSampled(rng, poisson(rng, expected))
		} else {
			m.fillCells(rng, expected)
		}
	}
	if len(m.hot) > 0 {
		ids := make([]int, 0, len(m.hot))
		for id := range m.hot {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		for _, id := range ids {
			if k := poisson(rng, m.hot[id]*n); k > 0 {
				m.add(id+1, 0, 0, k)
			}
		}
	}
}

// fillSampled draws k hits one by one from the factorised distribution.
func (m *model) fillSampled(rng *rand.Rand, k float64) {
	dim := m.h.Dim()
	for ; k > 0; k-- {
		var b [3]int
		for d := 0; d < dim; d++ {
			c := m.cdf[d]
			if len(c) == 0 || c[len(c)-1] == 0 {
				return
			}
			u := rng.Float64() * c[len(c)-1]
			b[d] = 1 + sort.SearchFloat64s(c, u)
			if b[d] > len(c) {
				b[d] = len(c)
			}
		}
		m.add(b[0], b[1], b[2], 1)
	}
}

// fillCells adds a Poisson-distributed count with the expected value to
// every cell.
func (m *model) fillCells(rng *rand.Rand, expected float64) {
	dim := m.h.Dim()
	px := m.pmf[0]
	py, pz := []float64{1}, []float64{1}
	if dim >= 2 {
		py = m.pmf[1]
	}
	if dim >= 3 {
		pz = m.pmf[2]
	}
	for iz, vz := range pz {
		if vz == 0 {
			continue
		}
		for iy, vy := range py {
			w := expected * vz * vy
			if w == 0 {
				continue
			}
			for ix, vx := range px {
				if vx == 0 {
					continue
				}
				if k := poisson(rng, w*vx); k > 0 {
					m.add(ix+1, iy+1, iz+1, k)
				}
			}
		}
	}
}

// add puts k unweighted entries into a cell and updates the statistics the
// way k calls of ROOT's Fill at the cell centre would.
func (m *model) add(ix, iy, iz int, k float64) {
	h := m.h
	bin := h.Bin(ix, iy, iz)
	if m.deadNow && m.deadCells[bin] {
		return // a dead channel records nothing
	}
	h.Contents[bin] += k
	h.Entries += k
	s := &h.Stats
	x := m.centers[0][ix]
	s.Sumw += k
	s.Sumw2 += k
	s.Sumwx += k * x
	s.Sumwx2 += k * x * x
	if h.Dim() >= 2 {
		y := m.centers[1][iy]
		s.Sumwy += k * y
		s.Sumwy2 += k * y * y
		s.Sumwxy += k * x * y
		if h.Dim() >= 3 {
			z := m.centers[2][iz]
			s.Sumwz += k * z
			s.Sumwz2 += k * z * z
			s.Sumwxz += k * x * z
			s.Sumwyz += k * y * z
		}
	}
}

// reset zeroes the histogram's contents and statistics.
func (m *model) reset() {
	h := m.h
	clear(h.Contents)
	if h.Sumw2 != nil {
		clear(h.Sumw2)
	}
	h.Entries = 0
	h.Stats = overwatch.Stats{}
}

// poisson draws a Poisson-distributed count of mean lambda: exactly by
// inversion for small means, from the normal approximation (rounded, never
// negative) for large ones.
func poisson(rng *rand.Rand, lambda float64) float64 {
	switch {
	case !(lambda > 0):
		return 0
	case lambda < 30:
		u := rng.Float64()
		p := math.Exp(-lambda)
		cdf := p
		k := 0.0
		for u > cdf && k < 200 {
			k++
			p *= lambda / k
			cdf += p
		}
		return k
	}
	v := math.Round(lambda + math.Sqrt(lambda)*rng.NormFloat64())
	if v < 0 {
		return 0
	}
	return v
}
