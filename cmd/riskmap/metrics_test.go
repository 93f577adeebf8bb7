package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/workers"
)

// TestCycleMetricsEndpoint runs `riskmap cycle --every 1h --metrics-addr 127.0.0.1:0` with two
// workers segments (NATS JetStream): east has a live worker scanning the lab with real nmap,
// west has none. After the first cycle it scrapes /metrics with net/http and checks the
// cycle-level figures against what the cycle printed, and each segment's: east's jobs done,
// west's jobs still queued with no live worker.
func TestCycleMetricsEndpoint(t *testing.T) {
	netns.Require(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfgE := estate.DefaultConfig()
	cfgE.Hosts, cfgE.Seed, cfgE.Accounts, cfgE.VPCs = 6, 5, 1, 2
	e, err := estate.New(cfgE)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := lab.Start(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	ws := t.TempDir()
	inv := filepath.Join(ws, "inventory")
	os.MkdirAll(inv, 0o755)
	fi, _ := os.Create(filepath.Join(inv, "describe-instances.json"))
	fs, _ := os.Create(filepath.Join(inv, "describe-security-groups.json"))
	if err := e.WriteAWS(fi, fs); err != nil {
		t.Fatal(err)
	}
	fi.Close()
	fs.Close()

	// The NATS server runs here, before the CLI, so that east's worker is live when the
	// cycle dispatches; the cycle's coordinator uses it as an external server.
	wc := workers.DefaultConfig()
	wc.Server.Port = 0
	wc.Delivery.AckWait = 5 * time.Second
	wc.Delivery.WorkerTTL = 3 * time.Second // how long the cycle waits for a worker in west
	wc.Wait = time.Minute
	wc.JobHosts = 2
	wc.Segments = []workers.SegmentConfig{
		{Name: "east", Networks: []string{e.VPCs[0].ID}, Pool: 1},
		{Name: "west", Networks: []string{e.VPCs[1].ID}, Pool: 1},
	}
	srv, err := workers.Open(ctx, wc, ws)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	wc.NATS.URL = srv.URL()

	cfg := engine.DefaultConfig()
	cfg.Scope.Allow = []string{"127.0.0.0/8"}
	cfg.Scope.Exclude = []string{"127.0.0.1/32"} // NATS and the metrics endpoint live there
	cfg.Inventory = []engine.InventorySource{{Provider: "aws", Paths: []string{inv}}}
	cfg.Planner.Budget = 6 * 150 // light tiers: the test is about the figures, not depth
	cfg.Planner.MinRescan = nil
	cfg.Runner = scanner.LabRunner(cfg.Runner)
	cfg.Schedule.RetrainEvery = 0
	cfg.Workers = &wc
	if err := engine.WriteConfig(ws, cfg); err != nil {
		t.Fatal(err)
	}

	profiles, err := scanner.DefaultProfileConfig().Load()
	if err != nil {
		t.Fatal(err)
	}
	nc, err := workers.Connect(workers.ConnConfig{URL: srv.URL(), Segment: "east"})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	wk, err := workers.NewWorker(workers.WorkerConfig{Segment: "east", ID: "east-1", Scope: mustScope(t, "127.0.0.0/8"),
		Runner: scanner.LabRunner(cfg.Runner), Profiles: profiles, Heartbeat: 200 * time.Millisecond}, nc)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := wk.Run(ctx); err != nil {
			t.Errorf("worker: %v", err)
		}
	}()

	var stdout, stderr lockedBuffer
	code := make(chan int, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
		code <- m.Run(ctx, []string{"--workspace", ws, "cycle", "--every", "1h", "--metrics-addr", "127.0.0.1:0"})
	}()

	// The endpoint's address is in the log; the first cycle's line on stdout.
	urlRe := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/metrics)`)
	cycleRe := regexp.MustCompile(`(?m)^cycle-\S+: (\d+) probes`)
	var url string
	var probes float64
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if m := urlRe.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
		if m := cycleRe.FindStringSubmatch(stdout.String()); m != nil && url != "" {
			probes, _ = strconv.ParseFloat(m[1], 64)
			break
		}
		select {
		case c := <-code:
			t.Fatalf("riskmap cycle exited %d before its first cycle:\n%s\n%s", c, stdout.String(), stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no cycle after 90 s (metrics url %q):\n%s\n%s", url, stdout.String(), stderr.String())
		}
	}

	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	got := parseMetrics(string(body))
	want := func(name string, ok func(float64) bool, what string) {
		t.Helper()
		v, found := got[name]
		if !found {
			t.Errorf("%s: missing from /metrics", name)
			return
		}
		if !ok(v) {
			t.Errorf("%s = %g, want %s", name, v, what)
		}
	}
	eq := func(x float64) func(float64) bool { return func(v float64) bool { return v == x } }
	pos := func(v float64) bool { return v > 0 }
	want("riskmap_cycles_total", eq(1), "1")
	want("riskmap_cycles_failed_total", eq(0), "0")
	want("riskmap_cycle_seconds_count", eq(1), "1")
	want("riskmap_probes_total", func(v float64) bool { return v == probes && v > 0 }, strconv.FormatFloat(probes, 'f', 0, 64)+", as the cycle printed")
	want("riskmap_scan_errors_total", pos, "> 0 (west's jobs are queued)")
	want(`riskmap_worker_jobs_total{outcome="done",segment="east"}`, pos, "> 0")
	want(`riskmap_worker_jobs_total{outcome="dead",segment="east"}`, eq(0), "0")
	want(`riskmap_workers_live{segment="east"}`, eq(1), "1")
	want(`riskmap_workers_live{segment="west"}`, eq(0), "0")
	want(`riskmap_worker_jobs_queued{segment="west"}`, pos, "> 0: west has no worker")
	want(`riskmap_worker_jobs_queued{segment="east"}`, eq(0), "0")
	want(`riskmap_worker_scan_seconds_count{segment="east"}`, eq(1), "1")
	// east's jobs wrote a scans row each, and the hosts and ports they saw.
	want(`riskmap_ingest_rows_total{table="scans"}`, pos, "> 0")
	want(`riskmap_ingest_rows_total{table="hosts"}`, pos, "> 0")
	want(`riskmap_ingest_rows_total{table="observations"}`, pos, "> 0")
	if _, ok := got["riskmap_ingest_findings_total"]; !ok {
		t.Error("riskmap_ingest_findings_total: missing from /metrics")
	}
	if !strings.Contains(stdout.String(), "segment west:") || !strings.Contains(stdout.String(), "queued; 0 live workers") {
		t.Errorf("the cycle did not report west's queued jobs:\n%s", stdout.String())
	}

	cancel()
	if c := <-code; c != exitOK {
		t.Errorf("riskmap cycle exited %d after SIGINT-like cancel:\n%s", c, stderr.String())
	}
	if _, err := http.Get(url); err == nil {
		t.Error("the metrics endpoint still answers after the loop stopped")
	}
}

// parseMetrics reads Prometheus' text format into name{labels} -> value (labels as the
// exposition writes them: sorted by name).
func parseMetrics(text string) map[string]float64 {
	out := map[string]float64{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out
}

// lockedBuffer is an io.Writer the CLI and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func mustScope(t *testing.T, allow ...string) scanner.Scope {
	t.Helper()
	s, err := scanner.ParseScope(allow, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
