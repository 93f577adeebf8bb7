package training_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/training"
)

func predict(m interface {
	Predict(x []float32, rows int, out []float32)
}, d training.Dataset) []float32 {
	out := make([]float32, d.Rows)
	m.Predict(d.X, d.Rows, out)
	return out
}

func trainGBDT(t *testing.T, d training.Dataset, valid *training.Dataset, cfg training.GBDTConfig) *training.GBDT {
	t.Helper()
	m, err := training.TrainGBDT(context.Background(), d, valid, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGBDTLearnsXOR(t *testing.T) {
	train, test := xorData(1, 4000), xorData(2, 2000)
	cfg := training.DefaultGBDTConfig()
	cfg.Trees, cfg.MaxDepth = 60, 2
	m := trainGBDT(t, train, nil, cfg)
	if auc := training.Evaluate(predict(m, test), test.Y).ROCAUC; auc <= 0.99 {
		t.Errorf("XOR with depth 2: ROC-AUC %.4f, want > 0.99", auc)
	}
	// Depth 1 (stumps) cannot express the interaction: the check above is not free.
	cfg.MaxDepth = 1
	m = trainGBDT(t, train, nil, cfg)
	if auc := training.Evaluate(predict(m, test), test.Y).ROCAUC; auc > 0.8 {
		t.Errorf("XOR with stumps: ROC-AUC %.4f, want <= 0.8", auc)
	}
}

func TestGBDTSeparable(t *testing.T) {
	d := xorData(3, 2000)
	// Label by a threshold on f2, rounded to hundredths so that each value gets its own bin
	// and one split separates the classes. (With more distinct values than bins, the cut can
	// only fall on a bin edge, and a quantile bin may straddle the threshold.)
	for i := range d.Rows {
		v := float32(math.Round(float64(d.X[i*d.Cols+2])*100) / 100)
		d.X[i*d.Cols+2] = v
		d.Y[i] = 0
		if v > 0.37 {
			d.Y[i] = 1
		}
	}
	cfg := training.DefaultGBDTConfig()
	cfg.Trees, cfg.EarlyStoppingRounds = 30, 0
	m := trainGBDT(t, d, nil, cfg)
	met := training.Evaluate(predict(m, d), d.Y)
	if met.ROCAUC != 1 {
		t.Errorf("separable: ROC-AUC %v, want 1", met.ROCAUC)
	}
	if met.Brier > 0.01 {
		t.Errorf("separable: Brier %v, want <= 0.01", met.Brier)
	}
}

func TestGBDTLearnsFromMissingValues(t *testing.T) {
	// Only whether f0 is missing carries the label, so the model must route NaN on its own.
	d := xorData(4, 3000)
	for i := range d.Rows {
		d.Y[i] = 0
		if i%3 == 0 {
			d.X[i*d.Cols] = float32(math.NaN())
			d.Y[i] = 1
		}
	}
	cfg := training.DefaultGBDTConfig()
	cfg.Trees = 20
	m := trainGBDT(t, d, nil, cfg)
	if auc := training.Evaluate(predict(m, d), d.Y).ROCAUC; auc != 1 {
		t.Errorf("missingness as the signal: ROC-AUC %v, want 1", auc)
	}
}

func TestGBDTCalibratedUnderImbalance(t *testing.T) {
	d := riskData(5, 10000, 10, time.Time{})
	rate := mean(d.Y)
	for _, spw := range []float64{0, 1} {
		cfg := training.DefaultGBDTConfig()
		cfg.Trees, cfg.ScalePosWeight = 60, spw
		m := trainGBDT(t, d, nil, cfg)
		p := predict(m, d)
		if spw == 0 && m.ScalePosWeight() <= 5 {
			t.Errorf("auto scale_pos_weight %v: want negatives/positives (%.1f)", m.ScalePosWeight(), (1-rate)/rate)
		}
		// The base shift keeps the mean prediction near the base rate even when positives
		// weigh ~10 times more in the loss.
		got := mean(p)
		if math.Abs(got-rate)/rate > 0.25 {
			t.Errorf("scale_pos_weight %v: mean prediction %.4f, base rate %.4f: want within 25%%", spw, got, rate)
		}
	}
}

func TestGBDTEarlyStopping(t *testing.T) {
	// Pure noise: validation loss stops improving almost at once.
	d := xorData(6, 3000)
	for i := range d.Rows {
		d.Y[i] = float32(i % 2)
	}
	cfg := training.DefaultGBDTConfig()
	cfg.Trees, cfg.EarlyStoppingRounds = 300, 10
	m := trainGBDT(t, d, nil, cfg)
	loss := m.ValidationLoss()
	if len(loss) >= cfg.Trees {
		t.Fatalf("trained all %d rounds on noise: want early stopping", len(loss))
	}
	if m.Trees() != len(loss)-cfg.EarlyStoppingRounds {
		t.Errorf("kept %d trees after %d rounds: want the best round, %d rounds before the stop", m.Trees(), len(loss), cfg.EarlyStoppingRounds)
	}
	for i, l := range loss {
		if l < loss[m.Trees()-1] {
			t.Errorf("round %d has loss %v below the kept round's %v", i, l, loss[m.Trees()-1])
		}
	}
	// With an explicit validation set, the ValidationShare is not carved out.
	valid := xorData(7, 500)
	cfg.ValidationShare = 0
	m = trainGBDT(t, xorData(8, 2000), &valid, cfg)
	if m.Trees() == 0 || len(m.ValidationLoss()) == 0 {
		t.Errorf("explicit validation set: %d trees, %d losses", m.Trees(), len(m.ValidationLoss()))
	}
}

func TestGBDTDeterministic(t *testing.T) {
	d := riskData(10, 6000, 12, time.Time{})
	cfg := training.DefaultGBDTConfig()
	cfg.Trees, cfg.Subsample, cfg.ColSample, cfg.Seed = 25, 0.7, 0.6, 42
	export := func(threads int) []byte {
		// Small chunks send histograms, partitions and scoring through their parallel code.
		c := training.WithSmallChunks(cfg)
		c.Threads = threads
		b, err := trainGBDT(t, d, nil, c).ONNX(models.KindRisk, d.Features, d.FeatureVersion)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	one, again, two := export(1), export(1), export(2)
	if !bytes.Equal(one, again) {
		t.Error("two trainings with the same seed give different ONNX bytes")
	}
	if !bytes.Equal(one, two) {
		t.Error("Threads 1 and Threads 2 give different ONNX bytes")
	}
	cfg.Seed = 43
	cfg.Threads = 2
	if other := export(2); bytes.Equal(one, other) {
		t.Error("another seed gives the same model: the seed reaches nothing")
	}
}

func TestGBDTConfigValidate(t *testing.T) {
	if err := training.DefaultGBDTConfig().Validate(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	for _, tc := range []struct {
		name  string
		field string
		set   func(*training.GBDTConfig)
	}{
		{"no trees", "Trees", func(c *training.GBDTConfig) { c.Trees = 0 }},
		{"learning rate 0", "LearningRate", func(c *training.GBDTConfig) { c.LearningRate = 0 }},
		{"learning rate above 1", "LearningRate", func(c *training.GBDTConfig) { c.LearningRate = 1.5 }},
		{"learning rate NaN", "LearningRate", func(c *training.GBDTConfig) { c.LearningRate = math.NaN() }},
		{"depth 0", "MaxDepth", func(c *training.GBDTConfig) { c.MaxDepth = 0 }},
		{"depth 33", "MaxDepth", func(c *training.GBDTConfig) { c.MaxDepth = 33 }},
		{"one leaf", "MaxLeaves", func(c *training.GBDTConfig) { c.MaxLeaves = 1 }},
		{"negative child weight", "MinChildWeight", func(c *training.GBDTConfig) { c.MinChildWeight = -1 }},
		{"negative L2", "L2", func(c *training.GBDTConfig) { c.L2 = -0.1 }},
		{"infinite L2", "L2", func(c *training.GBDTConfig) { c.L2 = math.Inf(1) }},
		{"subsample 0", "Subsample", func(c *training.GBDTConfig) { c.Subsample = 0 }},
		{"subsample above 1", "Subsample", func(c *training.GBDTConfig) { c.Subsample = 1.1 }},
		{"colsample 0", "ColSample", func(c *training.GBDTConfig) { c.ColSample = 0 }},
		{"one bin", "Bins", func(c *training.GBDTConfig) { c.Bins = 1 }},
		{"256 bins", "Bins", func(c *training.GBDTConfig) { c.Bins = 256 }},
		{"negative patience", "EarlyStoppingRounds", func(c *training.GBDTConfig) { c.EarlyStoppingRounds = -1 }},
		{"half held out", "ValidationShare", func(c *training.GBDTConfig) { c.ValidationShare = 0.5 }},
		{"negative weight", "ScalePosWeight", func(c *training.GBDTConfig) { c.ScalePosWeight = -2 }},
		{"negative threads", "Threads", func(c *training.GBDTConfig) { c.Threads = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := training.DefaultGBDTConfig()
			tc.set(&c)
			err := c.Validate()
			if !errors.Is(err, training.ErrConfig) || !bytes.Contains([]byte(err.Error()), []byte("GBDTConfig."+tc.field)) {
				t.Errorf("Validate() = %v: want ErrConfig naming GBDTConfig.%s", err, tc.field)
			}
			if _, err := training.TrainGBDT(context.Background(), xorData(1, 100), nil, c); !errors.Is(err, training.ErrConfig) {
				t.Errorf("TrainGBDT = %v: want the Validate error", err)
			}
		})
	}
}

func TestGBDTRefusesBadData(t *testing.T) {
	ok := xorData(1, 200)
	short := ok
	short.X = ok.X[:10]
	badLabel := ok
	badLabel.Y = append([]float32{0.5}, ok.Y[1:]...)
	oneClass := ok
	oneClass.Y = make([]float32, ok.Rows)
	noLabels := ok
	noLabels.Y = nil
	otherCols := xorData(2, 50)
	otherCols.Cols, otherCols.X = 2, otherCols.X[:100]
	otherCols.Features = otherCols.Features[:2]
	for _, tc := range []struct {
		name         string
		train        training.Dataset
		valid        *training.Dataset
		earlyStop    int
		share        float64
		wantDataset  bool
		wantInErrMsg string
	}{
		{"short X", short, nil, 0, 0, true, "len(X)"},
		{"label 0.5", badLabel, nil, 0, 0, true, "Y[0]"},
		{"one class", oneClass, nil, 0, 0, true, "both classes"},
		{"no labels", noLabels, nil, 0, 0, true, "labels"},
		{"validation columns", ok, &otherCols, 5, 0, true, "columns"},
		{"early stopping without validation", ok, nil, 5, 0, false, "ValidationShare"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := training.DefaultGBDTConfig()
			cfg.EarlyStoppingRounds, cfg.ValidationShare = tc.earlyStop, tc.share
			_, err := training.TrainGBDT(context.Background(), tc.train, tc.valid, cfg)
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.wantInErrMsg)) {
				t.Fatalf("err = %v: want one mentioning %q", err, tc.wantInErrMsg)
			}
			if tc.wantDataset != errors.Is(err, training.ErrDataset) {
				t.Errorf("errors.Is(err, ErrDataset) = %v: want %v", !tc.wantDataset, tc.wantDataset)
			}
		})
	}
}

func TestGBDTCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := training.TrainGBDT(ctx, xorData(1, 500), nil, training.DefaultGBDTConfig())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v: want context.Canceled", err)
	}
}

func TestGBDTExportRefusesBadMetadata(t *testing.T) {
	d := xorData(1, 500)
	cfg := training.DefaultGBDTConfig()
	cfg.Trees = 3
	m := trainGBDT(t, d, nil, cfg)
	for _, tc := range []struct {
		name, kind, version string
		features            []string
	}{
		{"unknown kind", "score", "1", d.Features},
		{"too few features", models.KindRisk, "1", d.Features[:2]},
		{"duplicate feature", models.KindRisk, "1", []string{"a", "b", "a", "c"}},
		{"empty feature", models.KindRisk, "1", []string{"a", "", "b", "c"}},
		{"no version", models.KindRisk, "", d.Features},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := m.ONNX(tc.kind, tc.features, tc.version); err == nil {
				t.Error("exported: want an error")
			}
		})
	}
}
