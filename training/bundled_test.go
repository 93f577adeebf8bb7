package training_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/training"
)

// TestBundledModels retrains the default models with the same seed and checks that the
// result is byte for byte the shipped model, that it loads in onnxruntime, and that the
// risk model beats the rules baseline on catch-rate@10%.
func TestBundledModels(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: retraining the bundled models takes a while")
	}
	s, _ := datasets.Open(t.TempDir(), nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res, err := training.TrainBundled(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	reg := models.OpenRegistry(s.Dir)
	for kind, r := range res {
		onnx, err := os.ReadFile(reg.Path(kind, r.Card.Version))
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join("bundled", kind)
		if *update {
			os.MkdirAll(dir, 0o755)
			card, _ := json.MarshalIndent(r.Card, "", "  ")
			os.WriteFile(filepath.Join(dir, models.ModelFile), onnx, 0o644)
			os.WriteFile(filepath.Join(dir, models.CardFile), card, 0o644)
			continue
		}
		shipped, _, err := training.BundledModel(kind)
		if err != nil {
			t.Fatalf("%v (run go test ./training -run TestBundledModels -update)", err)
		}
		if !bytes.Equal(shipped, onnx) {
			t.Errorf("bundled %s model differs from a retrain with the same seed (rerun with -update if the change is intended)", kind)
		}
		if _, err := models.Parse(shipped); err != nil {
			t.Errorf("bundled %s model: %v", kind, err)
		}
	}
	risk := res[models.KindRisk].Card
	if risk.Metrics["catch_rate@10"] < risk.Baseline["catch_rate@10"] {
		t.Errorf("bundled risk model catch-rate@10%% %.3f below the rules baseline %.3f", risk.Metrics["catch_rate@10"], risk.Baseline["catch_rate@10"])
	}
}

// TestEnsureModelsInstallsBundled checks that a new workspace gets the default models, that
// they score, and that a second call changes nothing.
func TestEnsureModelsInstallsBundled(t *testing.T) {
	s, _ := datasets.Open(t.TempDir(), nil)
	w, _ := s.Writer()
	defer w.Close()
	for i := 0; i < 2; i++ {
		if err := training.EnsureModels(w); err != nil {
			t.Fatal(err)
		}
	}
	cards, err := models.OpenRegistry(s.Dir).List()
	if err != nil || len(cards) != 2 {
		t.Fatalf("registry after EnsureModels twice: %d cards, %v; want risk and anomaly once each", len(cards), err)
	}
}
