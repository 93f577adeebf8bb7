package training_test

import (
	"time"

	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/training"
)

func trainLogReg(t *testing.T, d training.Dataset, cfg training.LogRegConfig) *training.LogReg {
	t.Helper()
	m, err := training.TrainLogReg(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLogRegCannotLearnXOR(t *testing.T) {
	train, test := xorData(1, 4000), xorData(2, 2000)
	m := trainLogReg(t, train, training.DefaultLogRegConfig())
	if auc := training.Evaluate(predict(m, test), test.Y).ROCAUC; auc > 0.8 {
		t.Errorf("a linear model on XOR: ROC-AUC %.4f, want <= 0.8", auc)
	}
}

func TestLogRegRecoversCoefficients(t *testing.T) {
	// y ~ Bernoulli(sigmoid(-1 + 1.5 x0 - 2 x1 + 0.5 x2)), x ~ N(0, 1): with 40,000 rows the
	// fitted weights (per standard deviation, and the std is 1) land within a few hundredths.
	rng := rand.New(rand.NewPCG(9, 9))
	const n, cols = 40000, 4
	want := []float64{1.5, -2, 0.5, 0}
	d := training.Dataset{Rows: n, Cols: cols, Features: names(cols), FeatureVersion: "t",
		X: make([]float32, n*cols), Y: make([]float32, n)}
	for i := range n {
		z := -1.0
		for j := range cols {
			v := rng.NormFloat64()
			d.X[i*cols+j] = float32(v)
			z += want[j] * v
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			d.Y[i] = 1
		}
	}
	cfg := training.DefaultLogRegConfig()
	cfg.L2 = 0
	m := trainLogReg(t, d, cfg)
	ok, steps := m.Converged()
	if !ok {
		t.Errorf("did not converge in %d steps", steps)
	}
	for j, w := range m.Weights() {
		if math.Abs(float64(w)-want[j]) > 0.08 {
			t.Errorf("weight %d = %.3f: want %.3f +- 0.08", j, w, want[j])
		}
	}
	t.Logf("weights %v after %d Newton steps", m.Weights(), steps)
}

func TestLogRegSeparable(t *testing.T) {
	d := xorData(3, 1000)
	for i := range d.Rows {
		d.Y[i] = 0
		if d.X[i*d.Cols+2] > 0.5 {
			d.Y[i] = 1
		}
	}
	// Without a penalty the weights of separable data grow without bound; L2 keeps them finite.
	m := trainLogReg(t, d, training.DefaultLogRegConfig())
	if auc := training.Evaluate(predict(m, d), d.Y).ROCAUC; auc < 0.999 {
		t.Errorf("separable: ROC-AUC %.4f, want >= 0.999", auc)
	}
	for j, w := range m.Weights() {
		if math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
			t.Errorf("weight %d = %v", j, w)
		}
	}
}

func TestLogRegImputesMissingWithMean(t *testing.T) {
	d := xorData(4, 1000)
	m := trainLogReg(t, d, training.DefaultLogRegConfig())
	var sum float64
	for i := range d.Rows {
		sum += float64(d.X[i*d.Cols])
	}
	row := append([]float32(nil), d.X[:d.Cols]...)
	withMean := append([]float32(nil), row...)
	withMean[0] = float32(sum / float64(d.Rows))
	row[0] = float32(math.NaN())
	a, b := make([]float32, 1), make([]float32, 1)
	m.Predict(row, 1, a)
	m.Predict(withMean, 1, b)
	if math.Abs(float64(a[0]-b[0])) > 1e-6 {
		t.Errorf("NaN scores %v, the mean %v: want the same", a[0], b[0])
	}
}

func TestLogRegDeterministic(t *testing.T) {
	d := riskData(12, 20000, 10, timeZero)
	export := func(threads int) []byte {
		cfg := training.DefaultLogRegConfig()
		cfg.Threads = threads
		b, err := trainLogReg(t, d, cfg).ONNX(models.KindRisk, d.Features, d.FeatureVersion)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(export(1), export(2)) {
		t.Error("Threads 1 and 2 give different models")
	}
}

func TestLogRegRefuses(t *testing.T) {
	good := xorData(5, 100)
	withInf := good
	withInf.X = append([]float32(nil), good.X...)
	withInf.X[5] = float32(math.Inf(1))
	for _, tc := range []struct {
		name string
		d    training.Dataset
		cfg  training.LogRegConfig
		want error
		msg  string
	}{
		{"negative L2", good, training.LogRegConfig{L2: -1, MaxIter: 10, Tol: 1e-6}, training.ErrConfig, "L2"},
		{"no iterations", good, training.LogRegConfig{L2: 1, MaxIter: 0, Tol: 1e-6}, training.ErrConfig, "MaxIter"},
		{"zero tolerance", good, training.LogRegConfig{L2: 1, MaxIter: 10, Tol: 0}, training.ErrConfig, "Tol"},
		{"infinity", withInf, training.DefaultLogRegConfig(), training.ErrDataset, "row 1 column 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := training.TrainLogReg(context.Background(), tc.d, tc.cfg)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v: want %v mentioning %q", err, tc.want, tc.msg)
			}
		})
	}
}

var timeZero = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
