package models_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/riskmap/riskmap/models"
)

// BenchmarkScore scores 100k rows of the tree model, in the batch sizes a caller might pick.
func BenchmarkScore(b *testing.B) {
	const rows = 100_000
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, rows*3)
	for i := range x {
		x[i] = float32(rng.NormFloat64() + 1)
	}
	out := make([]float32, rows)
	for _, batch := range []int{1024, 16384, models.DefaultBatchRows} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			m := mustParse(b, mustMarshal(b, treeProto()))
			s, err := models.NewScorer(m, models.ScorerOptions{BatchRows: batch})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ResetTimer()
			for b.Loop() {
				if err := s.Score(x, rows, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkExplain explains one row at a time, by Saabas (trees) and by perturbation (logistic).
func BenchmarkExplain(b *testing.B) {
	row, ref := []float32{1, 1.5, 2}, []float32{0.5, 0.5, 0.5}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"saabas", mustMarshal(b, treeProto())},
		{"perturbation", mustMarshal(b, logisticProto())},
	} {
		b.Run(tc.name, func(b *testing.B) {
			m := mustParse(b, tc.b)
			s, err := models.NewScorer(m, models.ScorerOptions{IntraOpThreads: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			e, err := models.NewExplainer(m, s)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := e.Explain(row, ref); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
