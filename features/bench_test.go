package features_test

import (
	"context"
	"errors"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/riskmap/riskmap/datasets/duckdb"
	"github.com/riskmap/riskmap/features"
)

// BenchmarkBuild times Build on a generated estate (RISKMAP_BENCH_ASSETS assets, default
// 1,000,000; about RISKMAP_BENCH_OBS observations, default 10,000,000; RISKMAP_BENCH_DIR
// keeps the generated workspace between runs) and, in the same run, DuckDB computing the
// same aggregates from the same Parquet files (testdata/bench_aggregates.sql). It checks
// that both agree and reports build_s, duckdb_s, their ratio, the peak RSS of this process
// during Build (VmHWM, reset before it) and of DuckDB's process.
//
//	RISKMAP_DUCKDB_DIR=$PWD/third_party/duckdb RISKMAP_BENCH_ASSETS=100000 RISKMAP_BENCH_OBS=1000000 \
//	    go test ./features -run '^$' -bench Build -benchtime 1x
func BenchmarkBuild(b *testing.B) {
	n := benchEnv("RISKMAP_BENCH_ASSETS", 1_000_000)
	obs := benchEnv("RISKMAP_BENCH_OBS", 10_000_000)
	s := benchWorkspace(b, n, obs)
	sqlText, err := os.ReadFile("testdata/bench_aggregates.sql")
	if err != nil {
		b.Fatal(err)
	}
	sql := strings.NewReplacer("{{DIR}}", s.Dir, "{{ASOF}}", strconv.FormatInt(benchAsOf.UnixMicro(), 10)).Replace(string(sqlText))
	ctx := context.Background()
	names := features.Names()

	var buildTime, duckTime time.Duration
	var rss, duckRSS int64
	var stats features.Stats
	var sums map[string]float64
	var duck map[string]any
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS(b)
		b.StartTimer()

		start := time.Now()
		sums = map[string]float64{}
		stats, err = features.Build(ctx, s, features.BuildOptions{AsOf: benchAsOf}, func(rec arrow.RecordBatch) error {
			for k, name := range names {
				col := rec.Column(3 + k).(*array.Float32)
				var t float64
				for _, v := range col.Float32Values() {
					t += float64(v)
				}
				sums[name] += t
			}
			sums["assets"] += float64(rec.NumRows())
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		buildTime += time.Since(start)
		rss = max(rss, peakRSS(b))

		b.StopTimer()
		start = time.Now()
		rows, err := duckdb.Query(ctx, sql)
		if errors.Is(err, duckdb.ErrMissing) {
			b.Logf("DuckDB is not installed (%v): reporting Build alone", err)
			duckTime = 0
		} else if err != nil {
			b.Fatal(err)
		} else {
			duckTime += time.Since(start)
			duck = rows[0]
			duckRSS = childPeakRSS()
		}
		b.StartTimer()
	}
	b.StopTimer()

	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(per(buildTime), "build_s")
	b.ReportMetric(float64(stats.Obs.Used+stats.Obs.Late)/per(buildTime), "obs/s")
	b.ReportMetric(float64(rss)/(1<<20), "build_rss_MB")
	if duck != nil {
		b.ReportMetric(per(duckTime), "duckdb_s")
		b.ReportMetric(per(buildTime)/per(duckTime), "x_duckdb")
		b.ReportMetric(float64(duckRSS)/(1<<20), "duckdb_rss_MB")
		compareSums(b, sums, duck)
	}
	b.Logf("%d assets, observations %+v, hosts %+v, findings %+v, diffs %+v, %d files read, %d skipped",
		stats.Assets, stats.Obs, stats.Hosts, stats.Findings, stats.Diffs, stats.Files, stats.Skipped)
}

// compareSums checks Build's column sums against DuckDB's.
func compareSums(b *testing.B, got map[string]float64, duck map[string]any) {
	got["findings_lower"] = got["findings_info"] + got["findings_low"] + got["findings_medium"]
	for name, v := range duck {
		want, err := number(v)
		if err != nil {
			b.Errorf("duckdb %s: %v", name, err)
			continue
		}
		g, ok := got[name]
		if !ok {
			b.Errorf("duckdb column %s has no Build sum", name)
			continue
		}
		if math.Abs(g-want) > 1e-4*math.Max(1, math.Abs(want)) {
			b.Errorf("sum of %s: Build %.6g, DuckDB %.6g", name, g, want)
		}
	}
}

func number(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case string:
		return strconv.ParseFloat(x, 64)
	}
	return 0, errors.New("not a number")
}

// resetPeakRSS resets this process's VmHWM (Linux: writing 5 to clear_refs).
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS: %v", err)
	}
}

// peakRSS reads VmHWM from /proc/self/status, in bytes.
func peakRSS(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// childPeakRSS is the largest peak RSS of the waited-for children: DuckDB's node process.
func childPeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return ru.Maxrss << 10
}
