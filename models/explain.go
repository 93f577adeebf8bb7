package models

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Explanation methods.
const (
	// MethodSaabas walks a tree ensemble's decision paths: each split's feature gets the change in
	// the expected value from the node to the child the row takes. Contributions are in the
	// ensemble's margin (before any sigmoid), and Base + Σ Contributions = Value exactly.
	MethodSaabas = "saabas"
	// MethodPerturbation replaces one feature at a time by its reference value (a column mean) and
	// takes the change in score. Contributions are in score units and need not add up.
	MethodPerturbation = "perturbation"
)

// Explanation says why a model scored one row as it did.
type Explanation struct {
	Method        string
	Contributions []float32 // one per feature, in the model's feature order
	// Base is where the explanation starts: the ensemble's expected margin (Saabas) or the score of
	// the reference row (perturbation). Value is the row's margin (Saabas) or score (perturbation).
	Base, Value float64
}

// Explainer explains rows of one model. It reads a tree ensemble's structure once; build one and
// reuse it for many rows. Not safe for concurrent use (it shares its Scorer's buffers).
type Explainer struct {
	model *Model
	s     *Scorer
	trees *treeEnsemble
	x     []float32 // perturbation rows
	out   []float32
	acc   []float64
}

// NewExplainer prepares explanations for m. Models made by riskmap whose graph holds one
// TreeEnsembleRegressor or TreeEnsembleClassifier reading the features directly are explained by
// Saabas paths, with nodes_hitrates (the training cover) weighting each branch's children; all
// other models, and every imported one (its tree covers, if any, are not riskmap's), by
// perturbation through s, which must then be a Scorer of m. s may be nil for a Saabas explainer.
func NewExplainer(m *Model, s *Scorer) (*Explainer, error) {
	if m == nil || m.Proto == nil {
		return nil, errors.New("explain: want a model from Parse, Load or Registry.Get")
	}
	e := &Explainer{model: m, s: s, acc: make([]float64, len(m.Features))}
	if !m.Imported() {
		trees, err := findTrees(m)
		switch {
		case err == nil:
			e.trees = trees
			return e, nil
		case !errors.Is(err, errNoTrees):
			return nil, fmt.Errorf("explain: %w", err)
		}
	}
	if s == nil {
		return nil, errors.New("explain: this model is explained by perturbation, which needs its Scorer")
	}
	if !slices.Equal(s.Model().Features, m.Features) {
		return nil, errors.New("explain: the scorer runs a model with other features")
	}
	return e, nil
}

// Method is MethodSaabas or MethodPerturbation.
func (e *Explainer) Method() string {
	if e.trees != nil {
		return MethodSaabas
	}
	return MethodPerturbation
}

// Explain explains one row (len(Features) values). reference holds each feature's reference value
// (the column mean) for perturbation; Saabas does not read it and it may be nil there.
func (e *Explainer) Explain(row, reference []float32) (Explanation, error) {
	width := len(e.model.Features)
	if len(row) != width {
		return Explanation{}, fmt.Errorf("explain: row has %d values, the model %d features", len(row), width)
	}
	if e.trees != nil {
		clear(e.acc)
		base, margin := e.trees.saabas(row, e.acc)
		c := make([]float32, width)
		for i, v := range e.acc {
			c[i] = float32(v)
		}
		return Explanation{Method: MethodSaabas, Contributions: c, Base: base, Value: margin}, nil
	}
	if len(reference) != width {
		return Explanation{}, fmt.Errorf("explain: reference has %d values, the model %d features", len(reference), width)
	}
	// Row 0 is the row itself, row 1 the reference, row 2+j the row with feature j replaced.
	rows := width + 2
	if len(e.x) != rows*width {
		e.x, e.out = make([]float32, rows*width), make([]float32, rows)
	}
	copy(e.x, row)
	copy(e.x[width:], reference)
	for j := range width {
		r := e.x[(j+2)*width : (j+3)*width]
		copy(r, row)
		r[j] = reference[j]
	}
	if err := e.s.Score(e.x, rows, e.out); err != nil {
		return Explanation{}, fmt.Errorf("explain: %w", err)
	}
	c := make([]float32, width)
	for j := range width {
		c[j] = e.out[0] - e.out[j+2]
	}
	return Explanation{Method: MethodPerturbation, Contributions: c, Base: float64(e.out[1]), Value: float64(e.out[0])}, nil
}

// Contributions gives each feature's contribution to m's score of row: Saabas path contributions
// for riskmap's tree ensembles, perturbation against reference (column means) through s for other
// or imported models. It reads the model's trees on every call; for many rows use NewExplainer.
func Contributions(m *Model, s *Scorer, row []float32, reference []float32) ([]float32, error) {
	e, err := NewExplainer(m, s)
	if err != nil {
		return nil, err
	}
	x, err := e.Explain(row, reference)
	if err != nil {
		return nil, err
	}
	return x.Contributions, nil
}

// TopReasons returns up to k features with the largest positive contributions, largest first, as
// "name=value (+0.12)". Features that pushed the score down are not reasons for it.
func TopReasons(names []string, row, contrib []float32, k int) []string {
	n := min(len(names), len(row), len(contrib))
	idx := make([]int, 0, n)
	for i := range n {
		if c := contrib[i]; c > 0 && !math.IsInf(float64(c), 0) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(contrib[b], contrib[a]) })
	if len(idx) > k {
		idx = idx[:max(k, 0)]
	}
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = names[j] + "=" + strconv.FormatFloat(float64(row[j]), 'g', 6, 32) + " (+" + strconv.FormatFloat(float64(contrib[j]), 'g', 2, 32) + ")"
	}
	return out
}
