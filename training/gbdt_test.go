package training_test

import (
	"context"
	"testing"

	"github.com/riskmap/riskmap/training"
)

func predict(m interface {
	Predict(x []float32, rows int, out []float32)
}, d training.Dataset) []float32 {
	out := make([]float32, d.Rows)
	m.Predict(d.X, d.Rows, out)
	return out
}

func TestGBDTLearnsXOR(t *testing.T) {
	train, test := xorData(1, 4000), xorData(2, 2000)
	cfg := training.DefaultGBDTConfig()
	cfg.Trees, cfg.MaxDepth = 50, 2
	m, err := training.TrainGBDT(context.Background(), train, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	met := training.Evaluate(predict(m, test), test.Y)
	if met.ROCAUC <= 0.99 {
		t.Errorf("XOR with depth 2: ROC-AUC %.4f, want > 0.99", met.ROCAUC)
	}
	t.Logf("trees kept %d, ROC-AUC %.4f", m.Trees(), met.ROCAUC)
}
