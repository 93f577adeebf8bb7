package training_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/training"
)

// BenchmarkScoreParquet scores a features table of RISKMAP_BENCH_SCORE_ROWS rows (default
// 2,000,000; the 10,000,000 works too) from Parquet to Parquet through onnxruntime
// with a 200-tree depth-6 GBDT, and in the same run times XGBoost's predict (Debian's
// python3-xgboost 1.7, nthread=2) with a model of the same size on the same rows. It reports
// rows/s for both, the ratio and riskmap's peak RSS.
func BenchmarkScoreParquet(b *testing.B) {
	rows := envInt("RISKMAP_BENCH_SCORE_ROWS", 2_000_000)
	names := features.Names()
	cols := len(names)
	dir := b.TempDir()
	s, _ := datasets.Open(filepath.Join(dir, "ws"), memory.NewGoAllocator())
	w, err := s.Writer()
	if err != nil {
		b.Fatal(err)
	}
	npy, err := newNPY(filepath.Join(dir, "x.npy"), rows, cols)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	row := func(x []float32) {
		for f := range x {
			x[f] = float32(rng.NormFloat64())
		}
	}
	const chunk = 250_000
	schema := datasets.FeaturesSchema(features.Version, names)
	asOf := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	x := make([]float32, cols)
	for start := 0; start < rows; start += chunk {
		n := min(chunk, rows-start)
		bld := array.NewRecordBuilder(s.Allocator(), schema)
		for i := 0; i < n; i++ {
			row(x)
			bld.Field(0).(*array.StringBuilder).Append("a" + strconv.Itoa(start+i))
			bld.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(asOf.UnixMicro()))
			bld.Field(2).(*array.StringBuilder).Append(features.Version)
			for f := 0; f < cols; f++ {
				bld.Field(3 + f).(*array.Float32Builder).Append(x[f])
			}
			if err := npy.write(x); err != nil {
				b.Fatal(err)
			}
		}
		rec := bld.NewRecordBatch()
		if err := w.WriteTable(datasets.TableFeatures, "as_of=bench", fmt.Sprintf("part-%04d", start/chunk), rec); err != nil {
			b.Fatal(err)
		}
		rec.Release()
		bld.Release()
	}
	w.Close()
	if err := npy.close(); err != nil {
		b.Fatal(err)
	}

	// A model of the size the issue names, trained on a sample with a nonlinear signal.
	train := training.Dataset{Rows: 100_000, Cols: cols, Features: names, FeatureVersion: features.Version}
	train.X = make([]float32, train.Rows*cols)
	train.Y = make([]float32, train.Rows)
	for i := 0; i < train.Rows; i++ {
		r := train.X[i*cols : (i+1)*cols]
		row(r)
		z := 1.5*r[0] - r[1]*r[2]
		if r[3] > 1 {
			z += 2
		}
		if z > 1.2 {
			train.Y[i] = 1
		}
	}
	cfg := training.DefaultGBDTConfig()
	cfg.Trees, cfg.MaxDepth, cfg.EarlyStoppingRounds = 200, 6, 0
	g, err := training.TrainGBDT(context.Background(), train, nil, cfg)
	if err != nil {
		b.Fatal(err)
	}
	onnx, err := g.ONNX(models.KindRisk, names, features.Version)
	if err != nil {
		b.Fatal(err)
	}
	m, err := models.Parse(onnx)
	if err != nil {
		b.Fatal(err)
	}
	trainNPY := filepath.Join(dir, "train.npy")
	labelNPY := filepath.Join(dir, "y.npy")
	writeWhole(b, trainNPY, train.X, train.Rows, cols)
	writeWhole(b, labelNPY, train.Y, train.Rows, 1)

	b.ResetTimer()
	var secs float64
	for i := 0; i < b.N; i++ {
		out, err := os.Create(filepath.Join(dir, "scores.parquet"))
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		n, err := models.ScoreFeatureTable(context.Background(), s, m, models.ScorerOptions{BatchRows: 65536}, out)
		if err != nil {
			b.Fatal(err)
		}
		out.Close()
		secs += time.Since(t0).Seconds()
		if n != rows {
			b.Fatalf("scored %d rows, want %d", n, rows)
		}
	}
	b.StopTimer()
	riskmapRate := float64(rows) * float64(b.N) / secs
	b.ReportMetric(riskmapRate, "riskmap_rows/s")
	b.ReportMetric(peakRSSMiB(), "peak_rss_MiB")
	script := `
import sys, time, numpy as np, xgboost as xgb
X = np.load(sys.argv[1], mmap_mode="r"); T = np.load(sys.argv[2]); y = np.load(sys.argv[3]).ravel()
bst = xgb.train({"tree_method": "hist", "max_depth": 6, "eta": 0.1, "nthread": 2, "objective": "binary:logistic"},
                xgb.DMatrix(T, label=y), num_boost_round=200)
X = np.ascontiguousarray(X)
t = time.perf_counter(); p = bst.inplace_predict(X); d = time.perf_counter() - t
print(len(p) / d)
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, filepath.Join(dir, "x.npy"), trainNPY, labelNPY).CombinedOutput()
	if err != nil {
		b.Logf("xgboost peer unavailable (apt-get install python3-xgboost): %v %s", err, out)
		return
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	xgbRate, err := strconv.ParseFloat(lines[len(lines)-1], 64)
	if err != nil {
		b.Fatalf("xgboost output %q", out)
	}
	b.ReportMetric(xgbRate, "xgboost_rows/s")
	b.ReportMetric(riskmapRate/xgbRate, "x_vs_xgboost")
}

func peakRSSMiB() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// npyWriter streams a float32 C-order array into a .npy file.
type npyWriter struct {
	f *os.File
	w *bufio.Writer
}

func newNPY(path string, rows, cols int) (*npyWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	pad := 64 - (10+len(header)+1)%64
	header += strings.Repeat(" ", pad) + "\n"
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write([]byte("\x93NUMPY\x01\x00"))
	binary.Write(w, binary.LittleEndian, uint16(len(header)))
	w.WriteString(header)
	return &npyWriter{f: f, w: w}, nil
}

func (n *npyWriter) write(x []float32) error { return binary.Write(n.w, binary.LittleEndian, x) }

func (n *npyWriter) close() error {
	if err := n.w.Flush(); err != nil {
		return err
	}
	return n.f.Close()
}

func writeWhole(b *testing.B, path string, x []float32, rows, cols int) {
	n, err := newNPY(path, rows, cols)
	if err != nil {
		b.Fatal(err)
	}
	if err := n.write(x); err != nil {
		b.Fatal(err)
	}
	if err := n.close(); err != nil {
		b.Fatal(err)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
