package training_test

import (
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

// plantedOutliers returns n rows of two Gaussian clusters in 6 dimensions with k rows spread
// uniformly over a box five times wider; Y marks the planted rows.
func plantedOutliers(seed uint64, n, k int) training.Dataset {
	rng := rand.New(rand.NewPCG(seed, 3))
	const cols = 6
	d := training.Dataset{Rows: n + k, Cols: cols, Features: names(cols), FeatureVersion: "test-1",
		X: make([]float32, (n+k)*cols), Y: make([]float32, n+k)}
	for i := range n + k {
		row := d.X[i*cols : (i+1)*cols]
		centre := float64(3 * (i % 2))
		for f := range row {
			if i >= n {
				row[f] = float32(rng.Float64()*20 - 10)
			} else {
				row[f] = float32(centre + rng.NormFloat64())
			}
		}
		if i >= n {
			d.Y[i] = 1
		}
	}
	return d
}

func TestIForestRanksPlantedOutliers(t *testing.T) {
	d := plantedOutliers(1, 5000, 50)
	m, err := training.TrainIForest(context.Background(), d, training.DefaultIForestConfig())
	if err != nil {
		t.Fatal(err)
	}
	scores := make([]float32, d.Rows)
	m.Score(d.X, d.Rows, scores)
	for i, s := range scores {
		if !(s >= 0 && s <= 1) {
			t.Fatalf("row %d: score %v outside [0, 1]", i, s)
		}
	}
	met := training.Evaluate(scores, d.Y)
	if met.ROCAUC <= 0.9 {
		t.Errorf("planted outliers: ROC-AUC %.4f, want > 0.9", met.ROCAUC)
	}
	// Outliers should sit above the 0.5 line that marks "no more isolated than average".
	var outlierMean float64
	for _, s := range scores[5000:] {
		outlierMean += float64(s) / 50
	}
	if outlierMean <= 0.55 {
		t.Errorf("mean outlier score %.3f: want > 0.55", outlierMean)
	}
	t.Logf("ROC-AUC %.4f, mean outlier score %.3f", met.ROCAUC, outlierMean)
}

func TestIForestDeterministic(t *testing.T) {
	d := plantedOutliers(2, 3000, 30)
	export := func(threads int, seed int64) []byte {
		cfg := training.DefaultIForestConfig()
		cfg.Threads, cfg.Seed = threads, seed
		m, err := training.TrainIForest(context.Background(), d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.ONNX(models.KindAnomaly, d.Features, d.FeatureVersion)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	one := export(1, 7)
	if !bytes.Equal(one, export(1, 7)) {
		t.Error("two forests with the same seed differ")
	}
	if !bytes.Equal(one, export(2, 7)) {
		t.Error("Threads 1 and 2 give different forests")
	}
	if bytes.Equal(one, export(2, 8)) {
		t.Error("another seed gives the same forest")
	}
}

func TestIForestSmallData(t *testing.T) {
	d := plantedOutliers(3, 40, 2)
	m, err := training.TrainIForest(context.Background(), d, training.DefaultIForestConfig())
	if err != nil {
		t.Fatal(err)
	}
	if m.SampleSize() != 42 {
		t.Errorf("sample size %d: want all 42 rows when fewer than 256", m.SampleSize())
	}
}

func TestIForestRefuses(t *testing.T) {
	good := plantedOutliers(4, 100, 1)
	withNaN := good
	withNaN.X = append([]float32(nil), good.X...)
	withNaN.X[7] = float32(math.NaN())
	for _, tc := range []struct {
		name string
		d    training.Dataset
		cfg  training.IForestConfig
		want error
		msg  string
	}{
		{"no trees", good, training.IForestConfig{Trees: 0, SampleSize: 256}, training.ErrConfig, "Trees"},
		{"sample of one", good, training.IForestConfig{Trees: 10, SampleSize: 1}, training.ErrConfig, "SampleSize"},
		{"negative threads", good, training.IForestConfig{Trees: 10, SampleSize: 8, Threads: -1}, training.ErrConfig, "Threads"},
		{"NaN", withNaN, training.DefaultIForestConfig(), training.ErrDataset, "row 1 column 1"},
		{"one row", training.Dataset{Rows: 1, Cols: 1, X: []float32{1}}, training.DefaultIForestConfig(), training.ErrDataset, "1 rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := training.TrainIForest(context.Background(), tc.d, tc.cfg)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v: want %v mentioning %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestIForestExportCarriesCounts(t *testing.T) {
	d := plantedOutliers(5, 1000, 10)
	cfg := training.DefaultIForestConfig()
	cfg.Trees = 5
	m, err := training.TrainIForest(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.ONNX(models.KindAnomaly, d.Features, d.FeatureVersion)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := models.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	// nodes_hitrates holds how many sample rows reached each node: every root holds the sample.
	for _, n := range parsed.Proto.GetGraph().GetNode() {
		var ids []int64
		var rates []float32
		for _, a := range n.GetAttribute() {
			switch a.GetName() {
			case "nodes_nodeids":
				ids = a.GetInts()
			case "nodes_hitrates":
				rates = a.GetFloats()
			}
		}
		for i, id := range ids {
			if id == 0 && rates[i] != 256 {
				t.Errorf("a root has hit rate %v: want the sample size 256", rates[i])
			}
		}
	}
}
