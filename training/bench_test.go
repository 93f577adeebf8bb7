package training_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/riskmap/riskmap/training"
)

// benchRows is the data size of the training benchmarks: RISKMAP_BENCH_ROWS, else 1,000,000.
func benchRows(b *testing.B) int {
	s := os.Getenv("RISKMAP_BENCH_ROWS")
	if s == "" {
		return 1_000_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1000 {
		b.Fatalf("RISKMAP_BENCH_ROWS = %q: want an integer >= 1000", s)
	}
	return n
}

// benchData is n time-ordered rows of 40 features shaped like riskmap's: counts, skewed sizes,
// flags, uniform shares with missing values, Gaussian scores; the label depends on them
// through thresholds, interactions and a slow drift, about 5% positive.
func benchData(n int) training.Dataset {
	const cols = 40
	rng := rand.New(rand.NewPCG(2026, 40))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := training.Dataset{Rows: n, Cols: cols, Features: names(cols), FeatureVersion: "bench-1",
		X: make([]float32, n*cols), Y: make([]float32, n), Time: make([]time.Time, n)}
	for i := range n {
		row := d.X[i*cols : (i+1)*cols]
		for f := range row {
			switch f % 5 {
			case 0:
				row[f] = float32(rng.NormFloat64())
			case 1:
				row[f] = float32(rng.IntN(3 + f%7))
			case 2:
				row[f] = float32(math.Exp(1.5 * rng.NormFloat64()))
			case 3:
				if rng.Float64() < 0.1+0.02*float64(f%4) {
					row[f] = 1
				}
			case 4:
				row[f] = rng.Float32()
				if rng.Float64() < 0.15 {
					row[f] = float32(math.NaN())
				}
			}
		}
		drift := float64(i) / float64(n)
		z := -4.2 + 0.3*drift
		z += 1.0*float64(row[3]) + 0.8*float64(row[8])*float64(row[1])/4
		z += 0.25*float64(row[1]) - 0.15*float64(row[6])
		z += 0.9*math.Sin(2*float64(row[0])) + 0.7*float64(row[0])*float64(row[5])
		z += 0.45*math.Log(float64(row[2])) + 0.3*math.Tanh(math.Log(float64(row[7])))*float64(row[10])
		if v := row[4]; v != v {
			z += 0.7
		} else if v > 0.8 {
			z += 0.6
		}
		if row[13] == 1 && row[11] > 4 {
			z += 1.4
		}
		z += 0.5 * math.Tanh(float64(row[15])+float64(row[20])-float64(row[25]))
		if v := row[9]; v == v && v < 0.1 && row[18] == 1 {
			z += 1.2
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			d.Y[i] = 1
		}
		d.Time[i] = t0.Add(time.Duration(i) * time.Second)
	}
	return d
}

// writeNPY writes v as a float32 little-endian .npy array of the given shape (format 1.0).
func writeNPY(path string, v []float32, shape ...int) error {
	dims := ""
	for _, s := range shape {
		dims += strconv.Itoa(s) + ","
	}
	if len(shape) > 1 {
		dims = dims[:len(dims)-1]
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", dims)
	// Magic, version, header length, then the header padded with spaces to a multiple of 64
	// and ended by a newline, as numpy writes it.
	pad := 64 - (10+len(header)+1)%64
	if pad == 64 {
		pad = 0
	}
	for range pad {
		header += " "
	}
	header += "\n"
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("\x93NUMPY\x01\x00")
	binary.Write(w, binary.LittleEndian, uint16(len(header)))
	w.WriteString(header)
	var buf [4]byte
	for _, x := range v {
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(x))
		w.Write(buf[:])
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// peersScript trains XGBoost and scikit-learn on the same .npy files with the same settings and
// prints their times (data loading into their own structures included, as binning is in ours)
// and test ROC-AUCs as JSON.
const peersScript = `
import json, sys, time
import numpy as np
from sklearn.metrics import roc_auc_score
d, trees, depth, lr, spw = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
xtr, ytr = np.load(d + "/train_x.npy"), np.load(d + "/train_y.npy")
xte, yte = np.load(d + "/test_x.npy"), np.load(d + "/test_y.npy")
out = {}
import xgboost as xgb
t = time.perf_counter()
dtr = xgb.DMatrix(xtr, label=ytr, nthread=2)
bst = xgb.train(dict(tree_method="hist", max_depth=depth, eta=lr, objective="binary:logistic",
                     nthread=2, max_bin=256, scale_pos_weight=spw, reg_lambda=1.0, min_child_weight=1.0),
                dtr, trees)
out["xgboost_s"] = time.perf_counter() - t
out["xgboost_auc"] = roc_auc_score(yte, bst.predict(xgb.DMatrix(xte, nthread=2)))
from sklearn.ensemble import HistGradientBoostingClassifier
t = time.perf_counter()
w = np.where(ytr == 1, spw, 1.0)
hgb = HistGradientBoostingClassifier(max_depth=depth, learning_rate=lr, max_iter=trees, early_stopping=False,
                                     max_leaf_nodes=None, max_bins=255, l2_regularization=1.0, random_state=0)
hgb.fit(xtr, ytr, sample_weight=w)
out["sklearn_s"] = time.perf_counter() - t
out["sklearn_auc"] = roc_auc_score(yte, hgb.predict_proba(xte)[:, 1])
print(json.dumps(out))
`

func BenchmarkTrainVsPeers(b *testing.B) {
	n := benchRows(b)
	d := benchData(n)
	train, test := training.TimeSplit(d, d.Time[n*8/10])
	cfg := training.DefaultGBDTConfig()
	cfg.Trees, cfg.MaxDepth, cfg.LearningRate = 200, 6, 0.1
	cfg.EarlyStoppingRounds, cfg.Threads = 0, 2
	b.Logf("%d rows x %d features: %d train, %d test, %.2f%% positive", n, d.Cols, train.Rows, test.Rows, 100*mean(d.Y))

	var m *training.GBDT
	var secs float64
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		var err error
		m, err = training.TrainGBDT(context.Background(), train, nil, cfg)
		if err != nil {
			b.Fatal(err)
		}
		secs = time.Since(start).Seconds()
	}
	b.StopTimer()
	ours := training.Evaluate(predict(m, test), test.Y).ROCAUC
	b.ReportMetric(secs, "riskmap_s")
	b.ReportMetric(ours, "riskmap_auc")

	dir := b.TempDir()
	for name, v := range map[string][]float32{"train_x": train.X, "test_x": test.X, "train_y": train.Y, "test_y": test.Y} {
		shape := []int{len(v)}
		if name[len(name)-1] == 'x' {
			shape = []int{len(v) / d.Cols, d.Cols}
		}
		if err := writeNPY(filepath.Join(dir, name+".npy"), v, shape...); err != nil {
			b.Fatal(err)
		}
	}
	script := filepath.Join(dir, "peers.py")
	if err := os.WriteFile(script, []byte(peersScript), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", script, dir, strconv.Itoa(cfg.Trees), strconv.Itoa(cfg.MaxDepth),
		strconv.FormatFloat(cfg.LearningRate, 'g', -1, 64), strconv.FormatFloat(m.ScalePosWeight(), 'g', -1, 64))
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=2")
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		b.Fatalf("run the peers (python3 with xgboost and scikit-learn: apt-get install python3-sklearn python3-xgboost, or make bench): %v", err)
	}
	var peers map[string]float64
	if err := json.Unmarshal(outb, &peers); err != nil {
		b.Fatalf("peers printed %q: %v", outb, err)
	}
	for _, k := range []string{"xgboost_s", "sklearn_s", "xgboost_auc", "sklearn_auc"} {
		b.ReportMetric(peers[k], k)
	}
	b.ReportMetric(secs/peers["xgboost_s"], "ratio_vs_xgboost")
}

func BenchmarkScoreGo(b *testing.B) {
	d := benchData(min(benchRows(b), 200_000))
	cfg := training.DefaultGBDTConfig()
	cfg.EarlyStoppingRounds = 0
	m, err := training.TrainGBDT(context.Background(), d, nil, cfg)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float32, d.Rows)
	b.ResetTimer()
	for b.Loop() {
		m.Predict(d.X, d.Rows, out)
	}
	b.ReportMetric(float64(d.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func mean(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}

// BenchmarkTrainGBDT times riskmap's training alone, on the data of BenchmarkTrainVsPeers.
func BenchmarkTrainGBDT(b *testing.B) {
	d := benchData(benchRows(b))
	cfg := training.DefaultGBDTConfig()
	cfg.EarlyStoppingRounds, cfg.Threads = 0, 2
	b.ResetTimer()
	for b.Loop() {
		if _, err := training.TrainGBDT(context.Background(), d, nil, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/model")
}
