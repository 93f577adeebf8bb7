package training_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/training"
)

// runtimeErr is why onnxruntime could not start, checked by every test that needs it.
var runtimeErr error

func TestMain(m *testing.M) {
	runtimeErr = models.InitRuntime()
	os.Exit(m.Run())
}

func requireRuntime(t *testing.T) {
	t.Helper()
	if runtimeErr != nil {
		t.Fatalf("onnxruntime is needed to check the ONNX exports: %v\n"+
			"run `make setup`, or export ONNXRUNTIME_SHARED_LIBRARY_PATH=/work/main/third_party/onnxruntime/libonnxruntime.so.1", runtimeErr)
	}
}

// parityTol is the largest difference allowed between a Go model's score and onnxruntime's.
const parityTol = 1e-5

// scorer is what the three model types share for scoring.
type scorer func(x []float32, rows int, out []float32)

func TestONNXParity(t *testing.T) {
	requireRuntime(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	data := riskData(21, 6000, 12, t0)
	dense := denseCopy(data)

	gcfg := training.DefaultGBDTConfig()
	gcfg.Trees, gcfg.Subsample, gcfg.ColSample, gcfg.MaxLeaves = 60, 0.8, 0.7, 24
	gbdt, err := training.TrainGBDT(ctx, data, nil, gcfg)
	if err != nil {
		t.Fatal(err)
	}
	// A model whose splits are "is f0 missing": thresholds of +Inf, NaN routed by the split.
	missing := riskData(22, 3000, 12, t0)
	for i := range missing.Rows {
		missing.Y[i] = 0
		if i%4 == 0 {
			missing.X[i*missing.Cols] = float32(math.NaN())
			missing.Y[i] = 1
		}
	}
	gcfg2 := training.DefaultGBDTConfig()
	gcfg2.Trees = 10
	gbdtMissing, err := training.TrainGBDT(ctx, missing, nil, gcfg2)
	if err != nil {
		t.Fatal(err)
	}
	iforest, err := training.TrainIForest(ctx, dense, training.DefaultIForestConfig())
	if err != nil {
		t.Fatal(err)
	}
	logreg, err := training.TrainLogReg(ctx, data, training.DefaultLogRegConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		kind  string
		score scorer
		onnx  func(string, []string, string) ([]byte, error)
		nan   bool // probe with missing values
	}{
		{"gbdt", models.KindRisk, gbdt.Predict, gbdt.ONNX, true},
		{"gbdt missing", models.KindRisk, gbdtMissing.Predict, gbdtMissing.ONNX, true},
		// Training refuses NaN, but scoring takes it (right of every split, in ONNX too).
		{"iforest", models.KindAnomaly, iforest.Score, iforest.ONNX, true},
		{"logreg", models.KindRisk, logreg.Predict, logreg.ONNX, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.onnx(tc.kind, data.Features, data.FeatureVersion)
			if err != nil {
				t.Fatal(err)
			}
			checkONNX(t, tc.name, b)
			m, err := models.Parse(b)
			if err != nil {
				t.Fatalf("models.Parse refuses the export: %v", err)
			}
			if m.Kind != tc.kind || !slices.Equal(m.Features, data.Features) || m.FeatureVersion != data.FeatureVersion {
				t.Errorf("metadata: kind %q features %v version %q: want %q %v %q",
					m.Kind, m.Features, m.FeatureVersion, tc.kind, data.Features, data.FeatureVersion)
			}
			s, err := models.NewScorer(m, models.ScorerOptions{IntraOpThreads: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()

			ths := thresholds(t, m)
			if tc.name == "gbdt missing" && !slices.Contains(ths[0], float32(math.Inf(1))) {
				t.Errorf("no split on f0 at +Inf (is missing): thresholds %v", ths[0])
			}
			if tc.name == "gbdt" && tracksTrue(m) == 0 {
				t.Error("no split sends missing values left: the parity rows would not test that path")
			}
			rows := parityRows(data, ths, tc.nan)
			n := len(rows) / data.Cols
			goOut, ortOut := make([]float32, n), make([]float32, n)
			tc.score(rows, n, goOut)
			if err := s.Score(rows, n, ortOut); err != nil {
				t.Fatal(err)
			}
			worst, at := 0.0, -1
			for i := range goOut {
				if d := math.Abs(float64(goOut[i]) - float64(ortOut[i])); d > worst || math.IsNaN(d) {
					worst, at = d, i
				}
			}
			if worst > parityTol || math.IsNaN(worst) {
				t.Fatalf("%d rows: max |go - onnx| = %g at row %d (go %v, onnx %v, x %v): want <= %g",
					n, worst, at, goOut[at], ortOut[at], rows[at*data.Cols:(at+1)*data.Cols], parityTol)
			}
			t.Logf("%d rows: max |go - onnx| = %.3g", n, worst)
		})
	}
}

// denseCopy returns d with its missing values replaced by 0, for the isolation forest.
func denseCopy(d training.Dataset) training.Dataset {
	out := d
	out.X = slices.Clone(d.X)
	for i, v := range out.X {
		if v != v {
			out.X[i] = 0
		}
	}
	return out
}

// thresholds reads every split threshold per feature from the exported tree ensemble.
func thresholds(t *testing.T, m *models.Model) map[int][]float32 {
	t.Helper()
	out := map[int][]float32{}
	for _, n := range m.Proto.GetGraph().GetNode() {
		if n.GetOpType() != "TreeEnsembleRegressor" {
			continue
		}
		var feats []int64
		var vals []float32
		var modes [][]byte
		for _, a := range n.GetAttribute() {
			switch a.GetName() {
			case "nodes_featureids":
				feats = a.GetInts()
			case "nodes_values":
				vals = a.GetFloats()
			case "nodes_modes":
				modes = a.GetStrings()
			}
		}
		for i := range feats {
			if string(modes[i]) == "BRANCH_LEQ" {
				out[int(feats[i])] = append(out[int(feats[i])], vals[i])
			}
		}
	}
	return out
}

// tracksTrue counts the splits whose missing values take the true (left) branch.
func tracksTrue(m *models.Model) int {
	k := 0
	for _, n := range m.Proto.GetGraph().GetNode() {
		for _, a := range n.GetAttribute() {
			if a.GetName() == "nodes_missing_value_tracks_true" {
				for _, v := range a.GetInts() {
					k += int(v)
				}
			}
		}
	}
	return k
}

// parityRows builds rows that probe the models where rounding would show: the training rows,
// random rows from a wider range, and rows whose value for a split's feature lies exactly on the
// threshold, one float32 step either side, and (for models that take them) NaN.
func parityRows(d training.Dataset, ths map[int][]float32, nan bool) []float32 {
	rng := rand.New(rand.NewPCG(5, 5))
	rows := slices.Clone(d.X[:min(len(d.X), 2000*d.Cols)])
	for range 2000 {
		for range d.Cols {
			v := float32(rng.NormFloat64() * 3)
			if nan && rng.IntN(10) == 0 {
				v = float32(math.NaN())
			}
			rows = append(rows, v)
		}
	}
	feats := make([]int, 0, len(ths))
	for f := range ths {
		feats = append(feats, f)
	}
	slices.Sort(feats)
	for _, f := range feats {
		for k, th := range ths[f] {
			if k >= 40 {
				break
			}
			probes := []float32{th, math.Nextafter32(th, float32(math.Inf(-1))), math.Nextafter32(th, float32(math.Inf(1)))}
			if nan {
				probes = append(probes, float32(math.NaN()))
			}
			base := rng.IntN(d.Rows)
			for _, v := range probes {
				row := slices.Clone(d.X[base*d.Cols : (base+1)*d.Cols])
				if !nan {
					for j, x := range row {
						if x != x {
							row[j] = 0
						}
					}
				}
				row[f] = v
				rows = append(rows, row...)
			}
		}
	}
	return rows
}

// checkONNX runs the onnx checker with full_check on b when Python's onnx package is there.
func checkONNX(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import onnx").Run(); err != nil {
		t.Logf("python3 onnx package not available (%v): onnx.checker not run", err)
		return
	}
	path := filepath.Join(t.TempDir(), name+".onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", "-c",
		"import onnx, sys; onnx.checker.check_model(sys.argv[1], full_check=True)", path).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx.checker.check_model(full_check=True) refuses %s: %v\n%s", name, err, out)
	}
}

func TestGBDTExplanationsAddUp(t *testing.T) {
	requireRuntime(t)
	d := riskData(3, 3000, 10, time.Time{})
	cfg := training.DefaultGBDTConfig()
	cfg.Trees = 30
	g, err := training.TrainGBDT(context.Background(), d, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.ONNX(models.KindRisk, d.Features, d.FeatureVersion)
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	e, err := models.NewExplainer(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.Method() != models.MethodSaabas {
		t.Fatalf("explainer method %q: want %q (the export carries covers in nodes_hitrates)", e.Method(), models.MethodSaabas)
	}
	out := make([]float32, 1)
	for i := range 50 {
		row := d.X[i*d.Cols : (i+1)*d.Cols]
		x, err := e.Explain(row, nil)
		if err != nil {
			t.Fatal(err)
		}
		g.Predict(row, 1, out)
		p := 1 / (1 + math.Exp(-x.Value))
		if math.Abs(p-float64(out[0])) > 1e-5 {
			t.Fatalf("row %d: the explanation's margin %v gives %v, the model %v", i, x.Value, p, out[0])
		}
	}
}

func ExampleGBDT_ONNX() {
	d := xorData(1, 2000)
	cfg := training.DefaultGBDTConfig()
	cfg.Trees, cfg.MaxDepth, cfg.Threads = 20, 2, 1
	m, err := training.TrainGBDT(context.Background(), d, nil, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := m.ONNX(models.KindRisk, d.Features, d.FeatureVersion)
	if err != nil {
		fmt.Println(err)
		return
	}
	parsed, err := models.Parse(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(parsed.Kind, parsed.Features, parsed.FeatureVersion)
	// Output: risk [fa0 fb0 fc0 fd0] test-1
}
