#!/usr/bin/env bash
# run.sh runs every riskmap benchmark with its peer in the same run, several times, and writes
# bench/results.md with machine information, medians and ratios. `make bench` calls it after
# setup (which installs the peers: python3-sklearn, python3-xgboost, DuckDB, ndiff).
#
# RISKMAP_BENCH_COUNT  repetitions of each benchmark (default 3; the machine is noisy, so
#                      results.md reports medians)
# RISKMAP_BENCH_QUICK  1 = smaller data sizes, for a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
count=${RISKMAP_BENCH_COUNT:-3}
out=bench/out
mkdir -p "$out"
: > "$out/bench.txt"
if [ "${RISKMAP_BENCH_QUICK:-}" = 1 ]; then
  export RISKMAP_BENCH_ROWS=${RISKMAP_BENCH_ROWS:-100000}
  export RISKMAP_BENCH_ASSETS=${RISKMAP_BENCH_ASSETS:-100000}
  export RISKMAP_BENCH_OBS=${RISKMAP_BENCH_OBS:-1000000}
  export RISKMAP_BENCH_HOSTS=${RISKMAP_BENCH_HOSTS:-20000}
  export RISKMAP_BENCH_SCORE_ROWS=${RISKMAP_BENCH_SCORE_ROWS:-100000}
  export RISKMAP_BENCH_RSS_ROWS=${RISKMAP_BENCH_RSS_ROWS:-1000000}
  export RISKMAP_BENCH_INGEST_HOSTS=${RISKMAP_BENCH_INGEST_HOSTS:-100000}
  export RISKMAP_BENCH_INSTANCES=${RISKMAP_BENCH_INSTANCES:-10000}
fi
# Peak RSS of `riskmap ingest nmap` on a 1,000,000-host scan (about 1.9 GB of XML, ingested
# in --part-mb parts) and on a scan with a 200 MB attribute.
export RISKMAP_BENCH_INGEST_HOSTS=${RISKMAP_BENCH_INGEST_HOSTS:-1000000}
run() { # package, benchmark regexp, benchtime
  echo "bench: $1 $2" >&2
  go test -run '^$' -bench "$2" -benchtime "${3:-1x}" -count "${4:-$count}" -timeout 90m "$1" | tee -a "$out/bench.txt"
}
run ./features/nmapxml 'BenchmarkParse|BenchmarkIngest' 1x
run ./cmd/riskmap 'BenchmarkIngestRSS' 1x 1
run ./features 'BenchmarkBuild' 1x
run ./training 'BenchmarkTrainVsPeers' 1x
run ./training 'BenchmarkScoreGo$' 1x
run ./models 'BenchmarkScor' 1x
# Batch scoring against XGBoost's inplace_predict: 1M rows, Parquet to Parquet and in memory,
# native evaluator and onnxruntime; then the peak RSS of scoring 10M rows (one run: the table
# is copied from its first file).
run ./training 'BenchmarkScoreParquet$' 1x
run ./training 'BenchmarkScoreParquetRSS$' 1x 1
run ./features/inventory/live 'BenchmarkAWSSync' 1x   # 50,000 instances (RISKMAP_BENCH_INSTANCES), about 90 s a run
run ./engine 'BenchmarkScanEfficiency' 1x 1   # one run: it takes about 20 minutes
run ./engine 'BenchmarkExploration' 1x 1      # one run: 150 hosts (3 all-traffic), 6 cycles, three strategies
# The same estate with drift on ports nothing predicts, over 12 cycles (longer than the stated
# 10-cycle bound for wide-open hosts), riskmap alone: the uniform strategies find none of it.
RISKMAP_BENCH_EXPLORE_NOVEL=1 RISKMAP_BENCH_EXPLORE_CYCLES=12 RISKMAP_BENCH_EXPLORE_ONLY=riskmap run ./engine 'BenchmarkExploration' 1x 1
run ./workers 'BenchmarkWorkers|BenchmarkDispatchOverhead' 2x   # scan workers over NATS JetStream
# The main job, and its report checked in headless Chromium with a screenshot.
./bin/riskmap demo --dir "$out/demo" | tee "$out/demo.txt"
bash bench/report-check.sh "$out/demo/report.html" bench/report.png
go run ./bench/results -in "$out/bench.txt" -out bench/results.md -efficiency "$out/scan-efficiency.json" -exploration "$out/exploration.json,$out/exploration-novel.json" -demo "$out/demo.txt"
echo "bench: wrote bench/results.md" >&2
