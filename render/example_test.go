package render_test

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/render"
)

func ExampleHist() {
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "Energy;E (GeV);counts", overwatch.NewAxis(50, 0, 10))
	for i := 0; i < 100; i++ {
		_ = h.Fill(1, float64(i%10))
	}
	png, err := render.Hist(h, &overwatch.Display{LogY: true, GridX: true,
		Decorations: []overwatch.Decoration{{Kind: overwatch.DecoLine, X1: 5, Y1: 1, X2: 5, Y2: 20, Color: "#ff0000"}}},
		render.Options{Width: 320, Height: 240})
	if err != nil {
		fmt.Println(err)
		return
	}
	img, _ := render.Image(png)
	fmt.Println(img.Bounds().Dx(), img.Bounds().Dy())
	// Output: 320 240
}
