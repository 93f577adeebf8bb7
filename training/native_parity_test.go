package training_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/training"
)

// checkNativeParity scores rows that hit every split's threshold, its float32 neighbours and NaN
// through onnxruntime and the native evaluator (models' parity test, for training's exports).
func checkNativeParity(t *testing.T, m *models.Model) {
	t.Helper()
	const rows = 4000
	width := len(m.Features)
	var edges []float32
	for _, n := range m.Proto.GetGraph().GetNode() {
		for _, a := range n.GetAttribute() {
			if a.GetName() == "nodes_values" {
				for _, v := range a.GetFloats() {
					edges = append(edges, v, math.Nextafter32(v, float32(math.Inf(1))), math.Nextafter32(v, float32(math.Inf(-1))))
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 99))
	x := make([]float32, rows*width)
	for i := range x {
		switch k := rng.IntN(10); {
		case k < 5:
			x[i] = edges[rng.IntN(len(edges))]
		case k < 6:
			x[i] = float32(math.NaN())
		default:
			x[i] = float32(rng.NormFloat64() * 2)
		}
	}
	score := func(e models.Engine) []float32 {
		s, err := models.NewScorer(m, models.ScorerOptions{Engine: e, IntraOpThreads: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if s.Engine() != e {
			t.Fatalf("engine %s, want %s", s.Engine(), e)
		}
		out := make([]float32, rows)
		if err := s.Score(x, rows, out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := score(models.EngineONNXRuntime), score(models.EngineNative)
	for i := range want {
		if a, b := float64(got[i]), float64(want[i]); !(math.Abs(a-b) <= 2e-6+2e-6*math.Abs(b)) {
			t.Fatalf("row %d %v: native %v, onnxruntime %v", i, x[i*width:(i+1)*width], got[i], want[i])
		}
	}
}

// TestNativeParityTraining exports riskmap's own tree models, trained on data with missing values
// (so that splits send NaN both ways), and a logistic regression that must stay on onnxruntime.
func TestNativeParityTraining(t *testing.T) {
	requireRuntime(t)
	const rows, cols = 3000, 8
	names := make([]string, cols)
	for i := range names {
		names[i] = fmt.Sprintf("f%d", i)
	}
	d := training.Dataset{Rows: rows, Cols: cols, Features: names, FeatureVersion: "test-1",
		X: make([]float32, rows*cols), Y: make([]float32, rows)}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range rows {
		r := d.X[i*cols : (i+1)*cols]
		for f := range r {
			r[f] = float32(math.Round(rng.NormFloat64()*8) / 4)
			if rng.IntN(8) == 0 {
				r[f] = float32(math.NaN())
			}
		}
		if z := r[0] - r[1]*r[2]; z > 0.5 || (r[3] != r[3] && r[4] > 0) {
			d.Y[i] = 1
		}
	}
	ctx := context.Background()
	cfg := training.DefaultGBDTConfig()
	cfg.Trees, cfg.MaxDepth, cfg.EarlyStoppingRounds = 60, 6, 0
	g, err := training.TrainGBDT(ctx, d, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The isolation forest and the logistic regression want finite values.
	finite := d
	finite.X = append([]float32(nil), d.X...)
	for i, v := range finite.X {
		if v != v {
			finite.X[i] = 0
		}
	}
	f, err := training.TrainIForest(ctx, finite, training.DefaultIForestConfig())
	if err != nil {
		t.Fatal(err)
	}
	l, err := training.TrainLogReg(ctx, finite, training.DefaultLogRegConfig())
	if err != nil {
		t.Fatal(err)
	}
	export := func(e interface {
		ONNX(string, []string, string) ([]byte, error)
	}, kind string) *models.Model {
		b, err := e.ONNX(kind, names, "test-1")
		if err != nil {
			t.Fatal(err)
		}
		m, err := models.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Run("gbdt", func(t *testing.T) { checkNativeParity(t, export(g, models.KindRisk)) })
	t.Run("iforest", func(t *testing.T) { checkNativeParity(t, export(f, models.KindAnomaly)) })
	t.Run("logreg stays on onnxruntime", func(t *testing.T) {
		m := export(l, models.KindRisk)
		s, err := models.NewScorer(m, models.ScorerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if s.Engine() != models.EngineONNXRuntime || s.EngineNote() == "" {
			t.Errorf("engine %s, note %q: want onnxruntime with the reason", s.Engine(), s.EngineNote())
		}
		_, err = models.NewScorer(m, models.ScorerOptions{Engine: models.EngineNative})
		if !errors.Is(err, models.ErrNotNative) {
			t.Fatalf("forced native on a logistic regression: %v, want ErrNotNative", err)
		}
		t.Log(err)
	})
}
