package training_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/riskmap/riskmap/training"
)

func TestBinsAgreeWithThresholds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	const n = 5000
	cols := []func(i int) float32{
		func(int) float32 { return float32(rng.NormFloat64()) },                          // many distinct values
		func(int) float32 { return float32(rng.IntN(5)) },                                // few distinct values
		func(int) float32 { return float32(math.Exp(3 * rng.NormFloat64())) },            // skewed
		func(i int) float32 { return []float32{negZero, 0, -1, 1, inf, -inf, nan}[i%7] }, // edge cases
		func(int) float32 { return 7 },                                                   // constant
		func(int) float32 { return nan },                                                 // all missing
	}
	d := training.Dataset{Rows: n, Cols: len(cols), X: make([]float32, 0, n*len(cols))}
	for i := range n {
		for _, c := range cols {
			d.X = append(d.X, c(i))
		}
	}
	for _, nBins := range []int{2, 16, 255} {
		edges, code := training.BinEdges(d, nBins)
		for f, e := range edges {
			if len(e)+1 > nBins {
				t.Errorf("bins %d, feature %d: %d bins", nBins, f, len(e)+1)
			}
			if !slices.IsSorted(e) || len(slices.Compact(slices.Clone(e))) != len(e) {
				t.Errorf("bins %d, feature %d: edges not strictly ascending: %v", nBins, f, e)
			}
			probes := []float32{inf, -inf, 0, negZero, math.MaxFloat32, -math.MaxFloat32}
			for i := range 300 {
				probes = append(probes, d.X[i*d.Cols+f])
			}
			for _, x := range e {
				probes = append(probes, x, math.Nextafter32(x, inf), math.Nextafter32(x, -inf))
			}
			for _, v := range probes {
				c := code(f, v)
				if v != v {
					if c != 255 {
						t.Errorf("feature %d: NaN has code %d: want 255", f, c)
					}
					continue
				}
				// The code is the bin whose split "code <= b" is exactly "v <= edges[b]".
				for b, x := range e {
					if (int(c) <= b) != (v <= x) {
						t.Fatalf("bins %d, feature %d: v=%v has code %d, edge %d is %v: code <= %d is %v but v <= edge is %v",
							nBins, f, v, c, b, x, b, int(c) <= b, v <= x)
					}
				}
				if int(c) > len(e) {
					t.Fatalf("feature %d: v=%v has code %d beyond the last bin %d", f, v, c, len(e))
				}
			}
		}
		if len(edges[4]) != 0 || len(edges[5]) != 0 {
			t.Errorf("bins %d: a constant and an all-missing feature have edges %v, %v: want none", nBins, edges[4], edges[5])
		}
	}
}
