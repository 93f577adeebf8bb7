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
	"runtime"
	"runtime/debug"
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

// scoreBench is a features table of rows random rows (and the same rows as a .npy file for the
// peer), with a 200-tree depth-6 GBDT trained by riskmap on a sample with a nonlinear signal.
type scoreBench struct {
	dir            string
	store          *datasets.Store
	model          *models.Model
	rows, cols     int
	x              []float32 // the rows in memory, when kept
	trainNPY, yNPY string
}

func newScoreBench(b *testing.B, rows int, keep bool) *scoreBench {
	names := features.Names()
	cols := len(names)
	dir := b.TempDir()
	s, _ := datasets.Open(filepath.Join(dir, "ws"), memory.NewGoAllocator())
	w, err := s.Writer()
	if err != nil {
		b.Fatal(err)
	}
	npyRows := 0
	if keep {
		npyRows = rows
	}
	npy, err := newNPY(filepath.Join(dir, "x.npy"), npyRows, cols)
	if err != nil {
		b.Fatal(err)
	}
	sb := &scoreBench{dir: dir, store: s, rows: rows, cols: cols}
	if keep {
		sb.x = make([]float32, 0, rows*cols)
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
		if !keep && start > 0 && n == chunk {
			// Only the RSS benchmark comes here: it needs the rows, not distinct ones, so
			// the first file is copied (the peer's .npy is not needed there either).
			first := filepath.Join(s.TablePath(datasets.TableFeatures), "as_of=bench", "part-0000.parquet")
			data, err := os.ReadFile(first)
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(filepath.Dir(first), fmt.Sprintf("part-%04d.parquet", start/chunk)), data, 0o644); err != nil {
				b.Fatal(err)
			}
			continue
		}
		bld := array.NewRecordBuilder(s.Allocator(), schema)
		fb := make([]*array.Float32Builder, cols)
		for f := range fb {
			fb[f] = bld.Field(3 + f).(*array.Float32Builder)
			fb[f].Reserve(n)
		}
		for i := 0; i < n; i++ {
			row(x)
			bld.Field(0).(*array.StringBuilder).Append("a" + strconv.Itoa(start+i))
			bld.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(asOf.UnixMicro()))
			bld.Field(2).(*array.StringBuilder).Append(features.Version)
			for f := 0; f < cols; f++ {
				fb[f].UnsafeAppend(x[f])
			}
			if keep {
				if err := npy.write(x); err != nil {
					b.Fatal(err)
				}
				sb.x = append(sb.x, x...)
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

	train := training.Dataset{Rows: 50_000, Cols: cols, Features: names, FeatureVersion: features.Version}
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
	if sb.model, err = models.Parse(onnx); err != nil {
		b.Fatal(err)
	}
	sb.trainNPY, sb.yNPY = filepath.Join(dir, "train.npy"), filepath.Join(dir, "y.npy")
	writeWhole(b, sb.trainNPY, train.X, train.Rows, cols)
	writeWhole(b, sb.yNPY, train.Y, train.Rows, 1)
	return sb
}

// scoreFile runs ScoreFeatureTable once and returns its stats and rows/s.
func (sb *scoreBench) scoreFile(b *testing.B, eng models.Engine, threads int) (models.ScoreFileStats, float64) {
	out, err := os.Create(filepath.Join(sb.dir, "scores.parquet"))
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	t0 := time.Now()
	st, err := models.ScoreFeatureTable(context.Background(), sb.store, sb.model, models.ScorerOptions{BatchRows: 65536, IntraOpThreads: threads, Engine: eng}, out)
	if err != nil {
		b.Fatal(err)
	}
	secs := time.Since(t0).Seconds()
	if st.Rows != sb.rows || st.Engine != eng {
		b.Fatalf("scored %d rows with %s, want %d with %s", st.Rows, st.Engine, sb.rows, eng)
	}
	return st, float64(st.Rows) / secs
}

// BenchmarkScoreParquet scores RISKMAP_BENCH_SCORE_ROWS rows (default 1,000,000) of the 40
// features with a 200-tree depth-6 GBDT on 2 threads: from Parquet to Parquet and in memory,
// through the native evaluator and onnxruntime, and in the same run XGBoost's inplace_predict
// (Debian's python3-xgboost 1.7, nthread=2, a model of the same size trained on the same sample).
// It reports rows/s, the ratios to XGBoost and the native Parquet path's split of time.
func BenchmarkScoreParquet(b *testing.B) {
	const threads = 2
	sb := newScoreBench(b, envInt("RISKMAP_BENCH_SCORE_ROWS", 1_000_000), true)
	b.ResetTimer()
	var nativeFile, ortFile, nativeMem, ortMem float64
	var split models.ScoreFileStats
	out := make([]float32, sb.rows)
	for i := 0; i < b.N; i++ {
		st, rate := sb.scoreFile(b, models.EngineNative, threads)
		nativeFile += rate
		split.Read, split.Assemble, split.Score, split.Write = split.Read+st.Read, split.Assemble+st.Assemble, split.Score+st.Score, split.Write+st.Write
		_, rate = sb.scoreFile(b, models.EngineONNXRuntime, threads)
		ortFile += rate
		for _, eng := range []models.Engine{models.EngineNative, models.EngineONNXRuntime} {
			sc, err := models.NewScorer(sb.model, models.ScorerOptions{IntraOpThreads: threads, Engine: eng})
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			err = sc.Score(sb.x, sb.rows, out)
			rate := float64(sb.rows) / time.Since(t0).Seconds()
			sc.Close()
			if err != nil {
				b.Fatal(err)
			}
			if eng == models.EngineNative {
				nativeMem += rate
			} else {
				ortMem += rate
			}
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(nativeFile/n, "native_parquet_rows/s")
	b.ReportMetric(ortFile/n, "onnxruntime_parquet_rows/s")
	b.ReportMetric(nativeMem/n, "native_memory_rows/s")
	b.ReportMetric(ortMem/n, "onnxruntime_memory_rows/s")
	total := (split.Read + split.Assemble + split.Score + split.Write).Seconds()
	b.ReportMetric(split.Read.Seconds()/total, "native_parquet_read_share")
	b.ReportMetric(split.Assemble.Seconds()/total, "native_parquet_assemble_share")
	b.ReportMetric(split.Score.Seconds()/total, "native_parquet_score_share")
	b.ReportMetric(split.Write.Seconds()/total, "native_parquet_write_share")
	xgbRate, ok := xgboostRate(b, sb)
	if !ok {
		return
	}
	b.ReportMetric(xgbRate, "xgboost_memory_rows/s")
	b.ReportMetric(nativeMem/n/xgbRate, "native_memory_x_vs_xgboost")
	b.ReportMetric(nativeFile/n/xgbRate, "native_parquet_x_vs_xgboost")
	b.ReportMetric(ortMem/n/xgbRate, "onnxruntime_memory_x_vs_xgboost")
}

// BenchmarkScoreParquetRSS scores RISKMAP_BENCH_RSS_ROWS rows (default 10,000,000) from Parquet to
// Parquet through the native evaluator on 2 threads and reports the peak RSS of the scoring alone
// (the high-water mark is reset after the table and the model are made).
func BenchmarkScoreParquetRSS(b *testing.B) {
	sb := newScoreBench(b, envInt("RISKMAP_BENCH_RSS_ROWS", 10_000_000), false)
	b.ResetTimer()
	var peak, before, rate float64
	for i := 0; i < b.N; i++ {
		runtime.GC()
		debug.FreeOSMemory()
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			b.Fatalf("reset the RSS high-water mark: %v", err)
		}
		before = max(before, statusMiB("VmRSS:"))
		_, r := sb.scoreFile(b, models.EngineNative, 2)
		rate += r
		peak = max(peak, peakRSSMiB())
	}
	b.ReportMetric(peak, "peak_rss_MiB")
	b.ReportMetric(before, "rss_before_MiB") // the process before scoring: runtime, onnxruntime, the training sample
	b.ReportMetric(rate/float64(b.N), "native_parquet_rows/s")
}

// xgboostRate trains XGBoost on the benchmark's sample and times inplace_predict on its rows,
// three times; it returns the median rows/s, or false when python3-xgboost is missing.
func xgboostRate(b *testing.B, sb *scoreBench) (float64, bool) {
	script := `
import sys, time, numpy as np, xgboost as xgb
X = np.load(sys.argv[1], mmap_mode="r"); T = np.load(sys.argv[2]); y = np.load(sys.argv[3]).ravel()
bst = xgb.train({"tree_method": "hist", "max_depth": 6, "eta": 0.1, "nthread": 2, "objective": "binary:logistic"},
                xgb.DMatrix(T, label=y), num_boost_round=200)
X = np.ascontiguousarray(X)
rates = []
for _ in range(3):
    t = time.perf_counter(); p = bst.inplace_predict(X); rates.append(len(p) / (time.perf_counter() - t))
print(sorted(rates)[1])
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, filepath.Join(sb.dir, "x.npy"), sb.trainNPY, sb.yNPY).CombinedOutput()
	if err != nil {
		b.Logf("xgboost peer unavailable (apt-get install python3-xgboost): %v %s", err, out)
		return 0, false
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	rate, err := strconv.ParseFloat(lines[len(lines)-1], 64)
	if err != nil {
		b.Fatalf("xgboost output %q", out)
	}
	return rate, true
}

func peakRSSMiB() float64 { return statusMiB("VmHWM:") }

// statusMiB reads a memory line of /proc/self/status (VmHWM:, VmRSS:) in MiB.
func statusMiB(key string) float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, key) {
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
