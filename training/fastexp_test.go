package training_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/riskmap/riskmap/training"
)

func TestExpFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	xs := []float64{0, -0.0, 1, -1, 0.5 * math.Ln2, -0.5 * math.Ln2, 709, -708, 708.9, -707.9, 1e-300, -1e-300, 20, -20, 36.7, -36.7}
	for range 100000 {
		xs = append(xs, (rng.Float64()*2-1)*40, (rng.Float64()*2-1)*700)
	}
	for _, x := range xs {
		got, want := training.ExpFast(x), math.Exp(x)
		if rel := math.Abs(got-want) / want; rel > 1e-15 {
			t.Fatalf("ExpFast(%v) = %v, math.Exp %v: relative error %g", x, got, want, rel)
		}
	}
	for _, tc := range []struct{ x, want float64 }{
		{800, math.Inf(1)}, {math.Inf(1), math.Inf(1)}, {math.Inf(-1), 0}, {-745.2, math.Exp(-745.2)}, {-800, 0},
	} {
		if got := training.ExpFast(tc.x); got != tc.want {
			t.Errorf("ExpFast(%v) = %v: want %v", tc.x, got, tc.want)
		}
	}
	if got := training.ExpFast(math.NaN()); !math.IsNaN(got) {
		t.Errorf("ExpFast(NaN) = %v", got)
	}
}
