package training_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/riskmap/riskmap/training"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// loadAssets reads testdata/assets.csv: as_of, asset_id, the features, then the label.
func loadAssets(t *testing.T) training.Dataset {
	t.Helper()
	f, err := os.Open("testdata/assets.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("testdata/assets.csv: %v", err)
	}
	head := recs[0]
	cols := len(head) - 3
	d := training.Dataset{Cols: cols, Features: head[2 : 2+cols], FeatureVersion: "assets-csv-1"}
	for line, rec := range recs[1:] {
		at, err := time.Parse(time.RFC3339, rec[0])
		if err != nil {
			t.Fatalf("testdata/assets.csv:%d: as_of: %v", line+2, err)
		}
		for j := range cols {
			v := math.NaN()
			if s := rec[2+j]; s != "" {
				if v, err = strconv.ParseFloat(s, 64); err != nil {
					t.Fatalf("testdata/assets.csv:%d: %s: %v", line+2, head[2+j], err)
				}
			}
			d.X = append(d.X, float32(v))
		}
		y, err := strconv.ParseFloat(rec[len(rec)-1], 32)
		if err != nil {
			t.Fatalf("testdata/assets.csv:%d: serious: %v", line+2, err)
		}
		d.Y = append(d.Y, float32(y))
		d.Time = append(d.Time, at)
		d.Rows++
	}
	return d
}

// rounded keeps 4 decimals, so the golden file records what matters and not float noise.
func rounded(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = math.Round(v*1e4) / 1e4
	}
	return out
}

func TestLearnersOnAssets(t *testing.T) {
	d := loadAssets(t)
	cut := time.Date(2026, 10, 19, 0, 0, 0, 0, time.UTC) // the seventh weekly snapshot
	train, test := training.TimeSplit(d, cut)
	ctx := context.Background()

	// 660 training rows with 60-odd positives: shallow, slow, subsampled trees.
	gcfg := training.DefaultGBDTConfig()
	gcfg.Trees, gcfg.MaxDepth, gcfg.LearningRate, gcfg.Subsample, gcfg.MinChildWeight = 200, 2, 0.05, 0.8, 5
	gbdt, err := training.TrainGBDT(ctx, train, nil, gcfg)
	if err != nil {
		t.Fatal(err)
	}
	lr, err := training.TrainLogReg(ctx, train, training.DefaultLogRegConfig())
	if err != nil {
		t.Fatal(err)
	}
	dense := denseCopy(train)
	forest, err := training.TrainIForest(ctx, dense, training.DefaultIForestConfig())
	if err != nil {
		t.Fatal(err)
	}
	anomaly := make([]float32, test.Rows)
	forest.Score(denseCopy(test).X, test.Rows, anomaly)
	rules := training.RulesBaseline(test, map[string]float64{"internet_ports": 1, "internet_admin": 2, "internet_data": 2, "risky_now": 1})

	got := map[string]any{
		"rows":          map[string]int{"train": train.Rows, "test": test.Rows},
		"gbdt":          rounded(training.Evaluate(predict(gbdt, test), test.Y).Map()),
		"gbdt_trees":    gbdt.Trees(),
		"logreg":        rounded(training.Evaluate(predict(lr, test), test.Y).Map()),
		"iforest":       rounded(training.Evaluate(anomaly, test.Y).Map()),
		"rules":         rounded(training.Evaluate(rules, test.Y).Map()),
		"feature_order": d.Features,
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	const golden = "testdata/assets.golden.json"
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != string(b) {
		t.Errorf("%s differs (run with -update after an intended change):\n got: %s\nwant: %s", golden, b, want)
	}
	// Whatever the golden file says, learning must beat the rule of thumb. On this little,
	// nearly linear data the logistic regression may well be the one that does.
	auc := func(k string) float64 { return got[k].(map[string]float64)["roc_auc"] }
	if best := max(auc("gbdt"), auc("logreg")); best <= auc("rules") {
		t.Errorf("best learned ROC-AUC %.4f does not beat the rules baseline's %.4f", best, auc("rules"))
	}
}
