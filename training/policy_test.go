package training_test

import (
	"context"
	"testing"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/ingest"
	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/training"
)

// TestMain runs the package's tests inside a private network namespace (the loop tests scan
// a lab on loopback) with the onnxruntime library loaded.
func simulated(t *testing.T, hosts, epochs int) (*datasets.Writer, *estate.Estate) {
	t.Helper()
	s, err := datasets.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	cfg := estate.DefaultConfig()
	cfg.Hosts = hosts
	e, err := ingest.Simulate(context.Background(), w, cfg, epochs)
	if err != nil {
		t.Fatal(err)
	}
	return w, e
}

// TestTrainBeatsRulesBaseline trains the risk GBDT on simulated history and checks, on the
// held-out epoch, that it catches more serious assets in its top 10% than the rules baseline.
func TestTrainBeatsRulesBaseline(t *testing.T) {
	ctx := context.Background()
	w, _ := simulated(t, 300, 6)
	pts, err := training.Points(ctx, w.Store())
	if err != nil || len(pts) != 6 {
		t.Fatalf("points = %v, %v; want 6", pts, err)
	}
	h, err := training.BuildHistory(ctx, w.Store(), pts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := training.Train(ctx, w, h, training.TrainOptions{Kind: models.KindRisk, Seed: 1, Promote: true})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Card
	t.Logf("rows %d label rate %.3f; model %v; rules %v", c.Rows, c.LabelRate, c.Metrics, c.Baseline)
	if !res.Promoted {
		t.Fatalf("first model not promoted: %s", res.Why)
	}
	if c.Metrics["catch_rate@10"] < c.Baseline["catch_rate@10"] {
		t.Errorf("GBDT catch-rate@10%% %.3f < rules baseline %.3f", c.Metrics["catch_rate@10"], c.Baseline["catch_rate@10"])
	}
	if c.Metrics["roc_auc"] < 0.7 {
		t.Errorf("GBDT held-out ROC-AUC %.3f < 0.7", c.Metrics["roc_auc"])
	}
	// The same data and seed give a model that is not better: it is not promoted.
	again, err := training.Train(ctx, w, h, training.TrainOptions{Kind: models.KindRisk, Seed: 1, Promote: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.Promoted {
		t.Fatalf("an identical model was promoted: %s", again.Why)
	}
	// Scores come out for every asset of the latest snapshot, with reasons.
	scored, err := models.Score(ctx, w.Store(), models.ScoreOptions{AsOf: pts[len(pts)-1].Add(2 * 3600e9), Anomaly: "-"})
	if err != nil {
		t.Fatal(err)
	}
	if len(scored.Scores) == 0 || len(scored.Scores[0].Reasons) == 0 {
		t.Fatalf("scores %d, reasons of the top one %v", len(scored.Scores), scored.Scores)
	}
}
