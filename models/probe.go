package models

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
)

// ErrProbe is matched (errors.Is) by every error Probe returns for a model's scores.
var ErrProbe = errors.New("model fails its probe")

// probeRow is one row of the probe batch and what it is, for the error.
type probeRow struct {
	name string
	fill func(r *rand.Rand, j int) float32
}

var probeRows = []probeRow{
	{"all features 0", func(*rand.Rand, int) float32 { return 0 }},
	{"all features 1", func(*rand.Rand, int) float32 { return 1 }},
	{"all features 0.5", func(*rand.Rand, int) float32 { return 0.5 }},
	{"all features -1", func(*rand.Rand, int) float32 { return -1 }},
	{"all features 10", func(*rand.Rand, int) float32 { return 10 }},
	{"all features 1000", func(*rand.Rand, int) float32 { return 1000 }},
	{"all features 1e6", func(*rand.Rand, int) float32 { return 1e6 }},
	{"alternating 0 and 1", func(_ *rand.Rand, j int) float32 { return float32(j % 2) }},
}

// probeRandom is how many random rows (each feature uniform in [0, 100), seed 1) follow the
// fixed ones.
const probeRandom = 24

// Probe runs m on a fixed probe batch (every feature 0, 1, 0.5, -1, 10, 1000, 1e6, alternating
// 0 and 1, and 24 seeded random rows) and refuses a model whose scores are not finite or fall
// outside [0, 1], the range of both kinds: the error (ErrProbe) names the problem, the score
// and the probe row. A model that passes can still be wrong; one that fails would feed NaN or
// out-of-range risk into the planner. InitRuntime must have succeeded first.
func Probe(m *Model) error {
	width := len(m.Features)
	r := rand.New(rand.NewSource(1))
	rows := len(probeRows) + probeRandom
	x := make([]float32, 0, rows*width)
	names := make([]string, 0, rows)
	for _, p := range probeRows {
		for j := range width {
			x = append(x, p.fill(r, j))
		}
		names = append(names, p.name)
	}
	for i := range probeRandom {
		for range width {
			x = append(x, float32(r.Float64()*100))
		}
		names = append(names, fmt.Sprintf("random row %d (seed 1, features in [0, 100))", i))
	}
	s, err := NewScorer(m, ScorerOptions{IntraOpThreads: 1})
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer s.Close()
	out := make([]float32, rows)
	if err := s.Score(x, rows, out); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	for i, v := range out {
		f := float64(v)
		switch {
		case math.IsNaN(f):
			return fmt.Errorf("%w: score is NaN for probe row %d (%s); a %s score must be a number in [0, 1]", ErrProbe, i, names[i], m.Kind)
		case math.IsInf(f, 0):
			return fmt.Errorf("%w: score is %v for probe row %d (%s); a %s score must be a number in [0, 1]", ErrProbe, v, i, names[i], m.Kind)
		case f < 0 || f > 1:
			return fmt.Errorf("%w: score %v is outside [0, 1] for probe row %d (%s); a %s score is a probability (apply a sigmoid, or export the classifier's probabilities)", ErrProbe, v, i, names[i], m.Kind)
		}
	}
	return nil
}
