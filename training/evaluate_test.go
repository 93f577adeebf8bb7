package training_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/riskmap/riskmap/training"
)

// nullable is a float in the test cases where null stands for NaN.
type nullable struct{ v float64 }

func (n *nullable) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		n.v = math.NaN()
		return nil
	}
	return json.Unmarshal(b, &n.v)
}

func close(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-7 // scores arrive as float32
}

func TestEvaluateHandComputed(t *testing.T) {
	raw, err := os.ReadFile("testdata/evaluate_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Name      string
			Scores    []float32
			Labels    []float32
			ROCAUC    nullable            `json:"roc_auc"`
			PRAUC     nullable            `json:"pr_auc"`
			Brier     nullable            `json:"brier"`
			CatchRate map[string]nullable `json:"catch_rate"`
		}
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("testdata/evaluate_cases.json: %v", err)
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			m := training.Evaluate(c.Scores, c.Labels)
			for _, chk := range []struct {
				name      string
				got, want float64
			}{
				{"roc_auc", m.ROCAUC, c.ROCAUC.v},
				{"pr_auc", m.PRAUC, c.PRAUC.v},
				{"brier", m.Brier, c.Brier.v},
			} {
				if !close(chk.got, chk.want) {
					t.Errorf("%s = %v: want %v", chk.name, chk.got, chk.want)
				}
			}
			for ks, want := range c.CatchRate {
				k, _ := strconv.Atoi(ks)
				if got := m.CatchRate[k]; !close(got, want.v) {
					t.Errorf("catch_rate@%d = %v: want %v", k, got, want.v)
				}
			}
			if m.Rows != len(c.Scores) {
				t.Errorf("Rows = %d: want %d", m.Rows, len(c.Scores))
			}
			// Map leaves NaN out so that cards encode as JSON.
			if _, err := json.Marshal(m.Map()); err != nil {
				t.Errorf("Map does not encode: %v", err)
			}
			if _, ok := m.Map()["roc_auc"]; ok == math.IsNaN(m.ROCAUC) {
				t.Errorf("Map has roc_auc: %v, ROC-AUC is %v", ok, m.ROCAUC)
			}
		})
	}
}

func TestEvaluateCatchRateOnALongerList(t *testing.T) {
	// 200 rows ranked by descending score, positives at ranks 0, 1, 5, 30 and 100.
	scores, labels := make([]float32, 200), make([]float32, 200)
	for i := range scores {
		scores[i] = float32(200 - i)
	}
	for _, r := range []int{0, 1, 5, 30, 100} {
		labels[r] = 1
	}
	m := training.Evaluate(scores, labels)
	// top 1% = 2 rows, 5% = 10, 10% = 20, 20% = 40.
	want := map[int]float64{1: 0.4, 5: 0.6, 10: 0.6, 20: 0.8}
	for k, w := range want {
		if !close(m.CatchRate[k], w) {
			t.Errorf("catch_rate@%d = %v: want %v", k, m.CatchRate[k], w)
		}
	}
	if got := m.Map()["catch_rate@20"]; !close(got, 0.8) {
		t.Errorf(`Map()["catch_rate@20"] = %v: want 0.8`, got)
	}
}

func TestEvaluateCalibration(t *testing.T) {
	m := training.Evaluate([]float32{0.05, 0.15, 0.12, 0.95, 1}, []float32{0, 1, 0, 1, 1})
	type bin struct {
		lo, hi, mean, obs float64
		n                 int
	}
	want := []bin{{0, 0.1, 0.05, 0, 1}, {0.1, 0.2, 0.135, 0.5, 2}, {0.9, 1, 0.975, 1, 2}}
	if len(m.Calibration) != len(want) {
		t.Fatalf("%d bins: want %d (empty bins left out, a score of 1 in the last): %+v", len(m.Calibration), len(want), m.Calibration)
	}
	for i, w := range want {
		g := m.Calibration[i]
		if !close(g.Lo, w.lo) || !close(g.Hi, w.hi) || math.Abs(g.MeanPredicted-w.mean) > 1e-7 || !close(g.Observed, w.obs) || g.Count != w.n {
			t.Errorf("bin %d = %+v: want %+v", i, g, w)
		}
	}
	// ECE: 1/5 * 0.05 + 2/5 * |0.135 - 0.5| + 2/5 * 0.025
	if e := 0.01 + 0.146 + 0.01; math.Abs(m.ECE-e) > 1e-7 {
		t.Errorf("ECE = %v: want %v", m.ECE, e)
	}
}

func TestEvaluateNaNScoresRankLast(t *testing.T) {
	nan := float32(math.NaN())
	m := training.Evaluate([]float32{nan, 0.2, 0.1}, []float32{0, 1, 0})
	if m.ROCAUC != 1 {
		t.Errorf("ROC-AUC = %v: want 1 (the NaN negative ranks below everything)", m.ROCAUC)
	}
	if !close(m.Brier, (0.64+0.01)/2) {
		t.Errorf("Brier = %v: want the mean over the two scored rows", m.Brier)
	}
}

func TestEvaluateMatchesPairCounting(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := range 20 {
		n := 5 + rng.IntN(300)
		scores, labels := make([]float32, n), make([]float32, n)
		for i := range n {
			scores[i] = float32(rng.IntN(12)) / 11 // plenty of ties
			if rng.Float64() < 0.3 {
				labels[i] = 1
			}
		}
		got := training.Evaluate(scores, labels).ROCAUC
		if want := aucOf(scores, labels); !close(got, want) {
			t.Fatalf("trial %d (%d rows): ROC-AUC %v, pair counting %v", trial, n, got, want)
		}
	}
}

func TestEvaluatePanicsOnLengthMismatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for 2 scores and 1 label")
		}
	}()
	training.Evaluate([]float32{1, 2}, []float32{1})
}

// FuzzEvaluate checks invariants on arbitrary scores and labels: ROC-AUC agrees with pair
// counting and flips under negated scores, every rate lies in [0, 1], and catching more rows
// never catches fewer positives.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5})
	f.Add([]byte{7, 7, 7, 8, 8, 200, 201})
	f.Add([]byte{255, 0, 255, 1, 128, 129, 128, 128})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 400 {
			b = b[:400]
		}
		scores, labels := make([]float32, len(b)), make([]float32, len(b))
		neg := make([]float32, len(b))
		for i, v := range b {
			scores[i] = float32(v>>1) / 127
			neg[i] = -scores[i]
			labels[i] = float32(v & 1)
		}
		m := training.Evaluate(scores, labels)
		if m.Positives > 0 && m.Positives < len(b) {
			if want := aucOf(scores, labels); !close(m.ROCAUC, want) {
				t.Fatalf("ROC-AUC %v, pair counting %v", m.ROCAUC, want)
			}
			if flip := training.Evaluate(neg, labels).ROCAUC; math.Abs(m.ROCAUC+flip-1) > 1e-9 {
				t.Fatalf("ROC-AUC %v and %v for negated scores: want a sum of 1", m.ROCAUC, flip)
			}
		}
		prev := 0.0
		for _, k := range training.CatchRateKs() {
			c := m.CatchRate[k]
			if m.Positives == 0 {
				if !math.IsNaN(c) {
					t.Fatalf("catch_rate@%d = %v without positives: want NaN", k, c)
				}
				continue
			}
			if c < prev-1e-12 || c > 1+1e-12 {
				t.Fatalf("catch_rate@%d = %v after %v: want non-decreasing in [0, 1]", k, c, prev)
			}
			prev = c
		}
		for name, v := range m.Map() {
			if v < -1e-12 || v > 1+1e-12 {
				t.Fatalf("%s = %v: want in [0, 1]", name, v)
			}
		}
	})
}
