package training_test

import (
	"math"
	"slices"
	"testing"

	"github.com/riskmap/riskmap/training"
)

func TestRulesBaseline(t *testing.T) {
	nan := float32(math.NaN())
	d := training.Dataset{Rows: 4, Cols: 3, Features: []string{"internet_ports", "risky_now", "age_days"},
		X: []float32{
			2, 0, 100,
			0, 1, 5,
			4, 2, 30,
			nan, 0, 1,
		}}
	for _, tc := range []struct {
		name    string
		columns map[string]float64
		want    []float32
	}{
		// raw: 2, 3, 4+6 = 10, 0 (NaN counts as 0) -> raw / 10
		{"weighted", map[string]float64{"internet_ports": 1, "risky_now": 3}, []float32{0.2, 0.3, 1, 0}},
		{"unknown names add nothing", map[string]float64{"internet_ports": 1, "risky_now": 3, "no_such": 9}, []float32{0.2, 0.3, 1, 0}},
		// raw: -2, 1, -4+2 = -2, 0 -> (raw + 2) / 3
		{"negative weight", map[string]float64{"internet_ports": -1, "risky_now": 1}, []float32{0, 1, 0, float32(2.0 / 3)}},
		{"nothing known", map[string]float64{"nope": 1}, []float32{0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := training.RulesBaseline(d, tc.columns)
			if !slices.Equal(got, tc.want) {
				t.Errorf("RulesBaseline = %v: want %v", got, tc.want)
			}
		})
	}
}
