package engine_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/features/inventory/live"
	"github.com/riskmap/riskmap/features/inventory/live/livetest"
	"github.com/riskmap/riskmap/scanner"
)

// TestCycleSyncsInventory runs three real cycles whose only inventory is a live AWS sync (the
// real SDK against livetest's EC2 Query API server, serving the lab's estate): the first
// syncs before it plans (its plan can only name the synced assets) and writes an assets
// snapshot; the second, with nothing changed, writes none; the third's sync is refused (the
// server no longer accepts the credentials), which is logged, and the cycle still plans and
// scans on the last snapshot.
func TestCycleSyncsInventory(t *testing.T) {
	netns.Require(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDRISKMAPTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := datasets.Open(dir, nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	cfgE := estate.DefaultConfig()
	cfgE.Hosts, cfgE.Seed, cfgE.Accounts, cfgE.VPCs = 4, 5, 1, 1
	e, err := estate.New(cfgE)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := lab.Start(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()

	// The estate as the CLI exports it, served through EC2's wire format.
	exports := t.TempDir()
	writeAWS(t, exports, e)
	ec2 := livetest.NewEC2Server("us-east-1")
	ec2.PageSize = 4
	ec2.LoadCLI(t, "us-east-1", filepath.Join(exports, "describe-instances.json"))
	ec2.LoadCLI(t, "us-east-1", filepath.Join(exports, "describe-security-groups.json"))
	hs := httptest.NewServer(ec2)
	defer hs.Close()

	cfg := engine.DefaultConfig()
	cfg.Scope.Allow = []string{"127.0.0.0/8"}
	cfg.Scope.Exclude = []string{"127.0.0.1/32"} // the EC2 server lives there: never scan it
	// The SDK's default attempts (live.DefaultMaxAttempts), as in production: under load a
	// loopback connection was once reset mid-body ("use of closed network connection", which
	// the SDK's retryer counts as a connection error and retries), and two attempts were not
	// enough. AuthFailure in step 3 is not retried, so this costs nothing there.
	cfg.Inventory = []engine.InventorySource{{Provider: "aws", Sync: &live.Config{
		Regions: []string{"us-east-1"}, Endpoint: hs.URL, MaxAttempts: live.DefaultMaxAttempts, MaxBackoff: 5 * time.Millisecond, Deadline: 20 * time.Second}}}
	cfg.Planner.Budget = 800
	cfg.Planner.MinRescan = nil
	cfg.Runner = scanner.LabRunner(cfg.Runner)
	cfg.Schedule.RetrainEvery = 0
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var logs syncLog
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	loop := &engine.Loop{W: w, Config: cfg, Log: slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return now }}

	assetRows := func() int64 {
		t.Helper()
		infos, err := s.Tables()
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range infos {
			if ti.Name == datasets.TableAssets {
				return ti.Rows
			}
		}
		return 0
	}
	cycle := func(n int) *engine.CycleReport {
		t.Helper()
		now = now.Add(time.Hour)
		logs.reset()
		rep, err := loop.Cycle(ctx)
		if err != nil {
			t.Fatalf("cycle %d: %v\n%s", n, err, logs.String())
		}
		scored := map[string]bool{}
		for _, sc := range rep.Scores.Scores {
			scored[sc.AssetID] = true
		}
		if len(scored) != len(e.Instances) {
			t.Errorf("cycle %d scored %d assets, want the %d synced instances\n%s", n, len(scored), len(e.Instances), logs.String())
		}
		for _, in := range e.Instances {
			if !scored[in.ID] {
				t.Errorf("cycle %d did not score synced instance %s", n, in.ID)
			}
		}
		return rep
	}

	// 1. The first sync writes a snapshot of every instance, and the plan is made from it.
	rep := cycle(1)
	if len(rep.Plan.Items) == 0 || rep.Metrics.Probes == 0 {
		t.Fatalf("cycle 1 planned nothing: the synced assets did not reach the planner")
	}
	first := assetRows()
	if first != int64(len(e.Instances)) {
		t.Fatalf("after the first cycle the assets table has %d rows, want the %d synced instances\n%s", first, len(e.Instances), logs.String())
	}
	synced := map[string]bool{}
	for _, h := range e.Instances {
		synced[h.ID] = true
	}
	for _, it := range rep.Plan.Items {
		if !synced[it.AssetID] {
			t.Errorf("cycle 1 planned asset %s, which the sync did not list", it.AssetID)
		}
	}
	if !strings.Contains(logs.String(), "msg=\"inventory sync\"") || !strings.Contains(logs.String(), "changed=true") {
		t.Errorf("cycle 1 log does not report the sync:\n%s", logs.String())
	}
	calls := ec2.Requests

	// 2. Nothing changed: the sync runs (the API is called) but writes no snapshot.
	cycle(2)
	if got := assetRows(); got != first {
		t.Errorf("an unchanged sync wrote a snapshot: assets rows %d -> %d", first, got)
	}
	if ec2.Requests == calls {
		t.Errorf("cycle 2 did not call the API")
	}
	if !strings.Contains(logs.String(), "changed=false") {
		t.Errorf("cycle 2 log does not say the estate was unchanged:\n%s", logs.String())
	}

	// 3. The sync fails: logged, and the cycle goes on with the last snapshot.
	ec2.Edit(func(s *livetest.EC2Server) { s.AccessKeyID = "AKIDSOMEONEELSE" })
	cycle(3)
	if !strings.Contains(logs.String(), "inventory sync failed") || !strings.Contains(logs.String(), "AuthFailure") {
		t.Errorf("cycle 3 log does not report the failed sync:\n%s", logs.String())
	}
	if got := assetRows(); got != first {
		t.Errorf("a failed sync changed the assets table: %d -> %d rows", first, got)
	}
	cycles, err := datasets.ReadCycles(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(cycles) != 3 {
		t.Errorf("cycles table has %d rows, want 3", len(cycles))
	}
	if _, err := os.Stat(filepath.Join(dir, "sync")); err != nil {
		t.Errorf("no sync ledger in the workspace: %v", err)
	}
}

// syncLog collects the loop's log lines.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *syncLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
}
