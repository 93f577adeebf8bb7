package engine_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/features/nmapxml"
	"github.com/riskmap/riskmap/ingest"
	"github.com/riskmap/riskmap/scanner"
)

// hook is a local webhook receiver that fails its first answer, so the alerter's retry is
// exercised.
type hook struct {
	mu     sync.Mutex
	calls  int
	alerts []riskmap.Alert
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if h.calls == 1 {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	var body struct {
		Schema string          `json:"schema"`
		Alerts []riskmap.Alert `json:"alerts"`
	}
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &body); err != nil || body.Schema != riskmap.AlertSchema {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	h.alerts = append(h.alerts, body.Alerts...)
}

// readBudget is the most times a cycle may read each table: once (measured in the second
// cycle before the estate view: assets 8, hosts 5, observations 4, scans 4, findings 3; after
// it 5, 3, 3, 2, 2). A table that no cycle step reads has 0; a table not named here, 1.
var readBudget = map[string]int{
	"assets": 1, "scans": 1, "hosts": 1, "observations": 1, "findings": 1, "diffs": 1,
	"cycles": 1, "kev": 1, "epss": 1, "scores": 0, "alerts": 0, "features": 0,
	"coverage": 1, // the planner's port-space sweep reads when each port was last probed
}

// TestCycleOnLab runs two real cycles (real nmap, real onnxruntime, real Parquet) against a
// lab served on loopback in the test's private network namespace, with drift in between, and
// checks what they recorded.
func TestCycleOnLab(t *testing.T) {
	netns.Require(t)
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := datasets.Open(dir, nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	cfgE := estate.DefaultConfig()
	cfgE.Hosts, cfgE.Seed = 24, 5
	e, err := estate.New(cfgE)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := lab.Start(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hook{}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()

	inv := filepath.Join(dir, "inventory")
	cfg := engine.DefaultConfig()
	cfg.Scope.Allow = []string{"127.0.0.0/8"}
	cfg.Scope.Exclude = []string{"127.0.0.1/32"} // the webhook lives there: never scan it
	cfg.Inventory = []engine.InventorySource{{Provider: "aws", Paths: []string{inv}}}
	cfg.Planner.Budget = 24 * 1000
	cfg.Planner.MinRescan = nil
	cfg.Runner = scanner.LabRunner(cfg.Runner)
	cfg.Schedule.RetrainEvery = 0
	cfg.Alerts.Webhook = "http://" + ln.Addr().String() + "/hook"
	cfg.Alerts.MinAnomaly = 0
	// Count the parses of each scan's XML: one each, however many paths (scan, confirmation,
	// recovery) it takes.
	var parseMu sync.Mutex
	parses := map[string]int{}
	in := ingest.NewIngester(w)
	in.Parse = func(raw []byte, o nmapxml.Options) (*nmapxml.Result, error) {
		parseMu.Lock()
		parses[nmapxml.ScanID(raw)]++
		parseMu.Unlock()
		return nmapxml.Parse(raw, o)
	}
	loop := &engine.Loop{W: w, Config: cfg, Log: quiet, Ingester: in}
	loop.Alerter = &engine.Alerter{W: w, Config: cfg.Alerts, Backoff: 10 * time.Millisecond}

	var reps []*engine.CycleReport
	var rd reads
	s.OnRead = rd.observe
	for c := 0; c < 2; c++ {
		rd.reset()
		if c > 0 {
			e = e.Advance()
			if err := lb.Apply(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		writeAWS(t, inv, e)
		rep, err := loop.Cycle(ctx)
		if err != nil {
			t.Fatalf("cycle %d: %v", c+1, err)
		}
		reps = append(reps, rep)
		t.Logf("cycle %d: table reads %s", c+1, &rd)
		// Each table at most once: the estate is read once for scoring, predicted ports,
		// candidates and the ingester's IP -> asset index, and advanced with the cycle's own
		// files for the rescoring after diffs; the ingester keeps its indexes and the
		// baselines it recorded in memory (docs/ARCHITECTURE.md, "Reads per cycle").
		for table, n := range rd.passes() {
			limit, ok := readBudget[table]
			if !ok {
				limit = 1
			}
			if n > limit {
				t.Errorf("cycle %d read table %s %d times, want at most %d (files: %v)", c+1, table, n, limit, rd.over(table, limit))
			}
		}
		parseMu.Lock()
		for id, n := range parses {
			if n != 1 {
				t.Errorf("cycle %d: the XML of scan %s was parsed %d times, want once", c+1, id, n)
			}
		}
		if len(parses) == 0 {
			t.Errorf("cycle %d: no XML parsed", c+1)
		}
		clear(parses)
		parseMu.Unlock()
		if rep.Metrics.Probes == 0 || rep.Metrics.Probes > int64(cfg.Planner.Budget) {
			t.Fatalf("cycle %d: %d probes, budget %d", c+1, rep.Metrics.Probes, cfg.Planner.Budget)
		}
		for _, it := range rep.Plan.Items {
			for _, ip := range it.IPs {
				if ip.String() == "127.0.0.1" {
					t.Fatalf("the excluded address is in the plan")
				}
			}
		}
	}
	infos, err := s.Tables()
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, ti := range infos {
		rows[ti.Name] = ti.Rows
	}
	for _, table := range []string{"assets", "scans", "hosts", "observations", "scores", "cycles", "findings"} {
		if rows[table] == 0 {
			t.Errorf("table %s is empty after two cycles (%v)", table, rows)
		}
	}
	if rows["cycles"] != 2 {
		t.Errorf("cycles table has %d rows, want 2", rows["cycles"])
	}
	if len(reps[1].Diffs) == 0 {
		t.Errorf("the second cycle saw no change, though the lab drifted: %v", e.Events)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	total := reps[0].Metrics.Alerts + reps[1].Metrics.Alerts
	if total > 0 && (h.calls < 2 || len(h.alerts) != total) {
		t.Errorf("webhook got %d calls and %d alerts, want a retry and all %d", h.calls, len(h.alerts), total)
	}
	if _, err := os.Stat(filepath.Join(dir, "alerts.jsonl")); total > 0 && err != nil {
		t.Errorf("alerts.jsonl: %v", err)
	}
	t.Logf("tables %v; alerts %d; diffs in cycle 2: %d", rows, total, len(reps[1].Diffs))
}

func writeAWS(t *testing.T, dir string, e *estate.Estate) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	fi, _ := os.Create(filepath.Join(dir, "describe-instances.json"))
	fs, _ := os.Create(filepath.Join(dir, "describe-security-groups.json"))
	defer fi.Close()
	defer fs.Close()
	if err := e.WriteAWS(fi, fs); err != nil {
		t.Fatal(err)
	}
}

// quiet is the loop's logger in tests: the test says what matters.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
