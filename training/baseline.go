package training

import (
	"math"
	"slices"
)

// RulesBaseline scores each row of d with the rule of thumb every model card is compared
// with: the weighted sum of the named columns (exposure and risky-service counts, say), scaled
// into [0, 1] by its least and greatest value over d. A name d does not have adds nothing, and
// a missing value counts as 0; when no named column exists or every row sums alike, every row
// scores 0. Only the ranking means anything: the scores are not probabilities. It panics if d
// fails Validate.
func RulesBaseline(d Dataset, columns map[string]float64) []float32 {
	if err := d.Validate(); err != nil {
		panic("training: RulesBaseline: " + err.Error())
	}
	type term struct {
		col int
		w   float64
	}
	var terms []term
	for j, name := range d.Features {
		if w, ok := columns[name]; ok && w != 0 && !math.IsNaN(w) {
			terms = append(terms, term{j, w})
		}
	}
	// Column order, not map order, fixes the order of the additions.
	slices.SortFunc(terms, func(a, b term) int { return a.col - b.col })
	raw := make([]float64, d.Rows)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range raw {
		var s float64
		for _, t := range terms {
			if v := float64(d.X[i*d.Cols+t.col]); !math.IsNaN(v) {
				s += t.w * v
			}
		}
		raw[i] = s
		lo, hi = min(lo, s), max(hi, s)
	}
	out := make([]float32, d.Rows)
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return out
	}
	for i, s := range raw {
		out[i] = float32((s - lo) / (hi - lo))
	}
	return out
}
