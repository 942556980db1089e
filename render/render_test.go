package render

import (
	"flag"
	"image"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden PNGs in testdata")

func gauss1D(t testing.TB, class string) *overwatch.Hist {
	r := rand.New(rand.NewSource(1))
	h := overwatch.MustNewHist(class, "h1", "Energy;E (GeV);counts", overwatch.NewAxis(100, 0, 10))
	for i := 0; i < 10000; i++ {
		x := r.NormFloat64() + 5
		if class == overwatch.ClassTProfile {
			require.NoError(t, h.Fill(1, x, x*2))
		} else {
			require.NoError(t, h.Fill(1, x))
		}
	}
	return h
}

func gauss2D(t testing.TB, nx, ny int) *overwatch.Hist {
	r := rand.New(rand.NewSource(2))
	h := overwatch.MustNewHist(overwatch.ClassTH2F, "h2", "Map;col;row", overwatch.NewAxis(nx, 0, float64(nx)), overwatch.NewAxis(ny, 0, float64(ny)))
	for i := 0; i < 100000; i++ {
		require.NoError(t, h.Fill(1, r.NormFloat64()*float64(nx)/5+float64(nx)/2, r.NormFloat64()*float64(ny)/10+float64(ny)/2))
	}
	return h
}

// comparePNG compares decoded pixels with a golden file: at most 0.5 % of
// the pixels may differ by more than 48 in a channel (font rasterisation
// differences), or it fails.
func comparePNG(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test -update")
	gi, err := Image(got)
	require.NoError(t, err)
	wi, err := Image(want)
	require.NoError(t, err)
	require.Equal(t, wi.Bounds(), gi.Bounds())
	diff := 0
	b := gi.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, g1, b1, _ := gi.At(x, y).RGBA()
			r2, g2, b2, _ := wi.At(x, y).RGBA()
			if absd(r1, r2) > 48<<8 || absd(g1, g2) > 48<<8 || absd(b1, b2) > 48<<8 {
				diff++
			}
		}
	}
	assert.LessOrEqual(t, float64(diff)/float64(b.Dx()*b.Dy()), 0.005, "%s: %d pixels differ", name, diff)
}

func absd(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestGolden(t *testing.T) {
	h1 := gauss1D(t, overwatch.ClassTH1F)
	tests := []struct {
		name   string
		render func() ([]byte, error)
	}{
		{"th1_logy_deco.png", func() ([]byte, error) {
			return Hist(h1, &overwatch.Display{ShowTitle: true, ShowStats: true, GridX: true, GridY: true, LogY: true,
				Decorations: []overwatch.Decoration{
					{Kind: overwatch.DecoLine, X1: 2, Y1: 1, X2: 2, Y2: 1000, Color: "#ff0000", Dashed: true},
					{Kind: overwatch.DecoText, X1: 0.15, Y1: 0.8, NDC: true, Text: "threshold", Color: "#0000ff"},
					{Kind: overwatch.DecoLegend, X1: 0.15, Y1: 0.5, X2: 0.4, Y2: 0.65, NDC: true,
						Entries: []overwatch.LegendEntry{{Label: "EMCal"}, {Label: "DCal"}}},
				}}, Options{})
		}},
		{"th2_logz_box.png", func() ([]byte, error) {
			return Hist(gauss2D(t, 100, 100), &overwatch.Display{DrawOption: "colz", LogZ: true,
				Decorations: []overwatch.Decoration{
					{Kind: overwatch.DecoBox, X1: 10, Y1: 10, X2: 30, Y2: 40},
					{Kind: overwatch.DecoAxis, X1: 0, Y1: 20, X2: 100, Y2: 20, AxisMin: 0, AxisMax: 5, NDiv: 5},
				}}, Options{})
		}},
		{"tprofile_range.png", func() ([]byte, error) {
			return Hist(gauss1D(t, overwatch.ClassTProfile), &overwatch.Display{XRange: &overwatch.Range{Min: 2, Max: 8}}, Options{})
		}},
		{"stack.png", func() ([]byte, error) {
			h2 := h1.Clone()
			h2.Scale(0.5)
			return Stack([]*overwatch.Hist{h1, h2}, "two", &overwatch.Display{LogY: true}, Options{Width: 320, Height: 240})
		}},
		{"graph.png", func() ([]byte, error) {
			g := overwatch.NewGraphErrors("g", "trend")
			for i := 0; i < 20; i++ {
				g.AddPoint(float64(i), float64(i*i), 0, float64(i))
			}
			return Graph(g, &overwatch.Display{GridY: true}, Options{})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.render()
			require.NoError(t, err)
			comparePNG(t, tc.name, b)
		})
	}
}

// TestMapPixels checks the rasterised 2D map cell by cell: a single filled
// cell must be coloured (top of the palette) and empty cells white.
func TestMapPixels(t *testing.T) {
	h := overwatch.MustNewHist(overwatch.ClassTH2D, "one", "", overwatch.NewAxis(4, 0, 4), overwatch.NewAxis(4, 0, 4))
	require.NoError(t, h.Fill(10, 2.5, 1.5)) // cell ix=3, iy=2
	b, err := Hist(h, nil, Options{Width: 400, Height: 400})
	require.NoError(t, err)
	img, err := Image(b)
	require.NoError(t, err)
	top := birdPalette()[len(birdPalette())-1]
	var hot, white int
	bnd := img.Bounds()
	for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
		for x := bnd.Min.X; x < bnd.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == top.R && uint8(g>>8) == top.G && uint8(bb>>8) == top.B {
				hot++
			}
			if r == 0xffff && g == 0xffff && bb == 0xffff {
				white++
			}
		}
	}
	// The data area is roughly (400-60-margins)x(400-margins): one cell of
	// 16 is about 1/16 of it.
	assert.Greater(t, hot, 3000, "the filled cell is drawn with the top colour")
	assert.Less(t, hot, 9000, "only one cell is coloured")
	assert.Greater(t, white, hot*5)
}

func TestErrors(t *testing.T) {
	_, err := Hist(nil, nil, Options{})
	require.Error(t, err)
	_, err = Stack(nil, "", nil, Options{})
	require.Error(t, err)
	bad := &overwatch.Hist{Class: overwatch.ClassTH1F, Name: "bad", X: overwatch.NewAxis(10, 0, 1)}
	_, err = Hist(bad, nil, Options{})
	require.Error(t, err, "inconsistent arrays are reported, not a panic")
	_, err = Graph(&overwatch.Graph{X: []float64{1}}, nil, Options{})
	require.Error(t, err)
}

func TestDegenerate(t *testing.T) {
	// Empty histograms, log axes without positive content, NaN contents:
	// still an image.
	h := overwatch.MustNewHist(overwatch.ClassTH1D, "empty", "", overwatch.NewAxis(10, 0, 1))
	h.Contents[3] = 0
	for _, d := range []*overwatch.Display{{LogY: true, LogX: true}, {YRange: &overwatch.Range{Min: 5, Max: 1}}} {
		b, err := Hist(h, d, Options{})
		require.NoError(t, err)
		_, err = Image(b)
		require.NoError(t, err)
	}
	h2 := overwatch.MustNewHist(overwatch.ClassTH2D, "e2", "", overwatch.NewAxis(3, -1, 1), overwatch.NewAxis(3, 0, 1))
	b, err := Hist(h2, &overwatch.Display{LogZ: true, LogX: true}, Options{})
	require.NoError(t, err)
	img, err := Image(b)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 480, 360), img.Bounds())
}

func BenchmarkHist1D(b *testing.B) {
	h := gauss1D(b, overwatch.ClassTH1F)
	d := &overwatch.Display{GridX: true}
	for b.Loop() {
		if _, err := Hist(h, d, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHist2D100x100(b *testing.B) {
	h := gauss2D(b, 100, 100)
	d := &overwatch.Display{LogZ: true}
	for b.Loop() {
		if _, err := Hist(h, d, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The PNG encoder round-trips exactly, indexed (few colours) and RGB (many
// colours).
func TestEncodePNGRoundTrip(t *testing.T) {
	for _, colours := range []int{3, 256, 257, 5000} {
		img := image.NewRGBA(image.Rect(0, 0, 97, 41))
		r := rand.New(rand.NewSource(int64(colours)))
		for i := 0; i < len(img.Pix); i += 4 {
			c := r.Intn(colours)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(c), uint8(c>>8), uint8(c*7), 255
		}
		b, err := encodePNG(img)
		require.NoError(t, err)
		got, err := Image(b)
		require.NoError(t, err)
		for y := 0; y < 41; y++ {
			for x := 0; x < 97; x++ {
				r1, g1, b1, _ := got.At(x, y).RGBA()
				o := img.PixOffset(x, y)
				require.Equal(t, [3]uint8{img.Pix[o], img.Pix[o+1], img.Pix[o+2]}, [3]uint8{uint8(r1 >> 8), uint8(g1 >> 8), uint8(b1 >> 8)}, "colours %d at %d,%d", colours, x, y)
			}
		}
	}
}
