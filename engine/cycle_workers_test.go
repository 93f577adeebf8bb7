package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/workers"
)

// TestCycleThroughWorkers runs a real cycle whose scans go to two segments' workers over the
// embedded NATS server (the workers run in-process here, with real nmap, in the test's
// namespace; isolation between segments is tested in package workers) and checks that the
// cycle ingested what they scanned.
func TestCycleThroughWorkers(t *testing.T) {
	netns.Require(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	s, _ := datasets.Open(dir, nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cfgE := estate.DefaultConfig()
	cfgE.Hosts, cfgE.Seed, cfgE.Accounts, cfgE.VPCs = 16, 5, 1, 2
	e, err := estate.New(cfgE)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := lab.Start(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()

	inv := filepath.Join(dir, "inventory")
	cfg := engine.DefaultConfig()
	cfg.Scope.Allow = []string{"127.0.0.0/8"}
	cfg.Scope.Exclude = []string{"127.0.0.1/32"} // NATS listens there: never scan it
	cfg.Inventory = []engine.InventorySource{{Provider: "aws", Paths: []string{inv}}}
	cfg.Planner.Budget = 16 * 1000
	cfg.Planner.MinRescan = nil
	cfg.Schedule.RetrainEvery = 0
	// The coordinator's light tier runs a script the workers' own (default) profiles do not:
	// the jobs must carry the coordinator's tiers.
	cfg.Profiles.Light.Scripts = []string{"http-title"}
	wc := workers.DefaultConfig()
	wc.Server.Port = 0
	wc.Delivery.AckWait = 5 * time.Second
	wc.Wait = 2 * time.Minute
	wc.JobHosts = 4
	for i, v := range e.VPCs {
		wc.Segments = append(wc.Segments, workers.SegmentConfig{Name: []string{"east", "west"}[i], Networks: []string{v.ID}, Pool: 2})
	}
	cfg.Workers = &wc
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	co, err := workers.Open(ctx, wc, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer co.Close()
	profiles, err := scanner.DefaultProfileConfig().Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, seg := range []string{"east", "west"} {
		nc, err := workers.Connect(workers.ConnConfig{URL: co.URL(), Segment: seg})
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		wk, err := workers.NewWorker(workers.WorkerConfig{Segment: seg, ID: seg + "-1", Scope: mustScope(t, "127.0.0.0/8"),
			Runner: scanner.LabRunner(cfg.Runner), Profiles: profiles, Heartbeat: 200 * time.Millisecond}, nc)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := wk.Run(ctx); err != nil {
				t.Errorf("worker %s: %v", seg, err)
			}
		}()
		defer func() { cancel(); <-done }()
	}
	// A local runner that cannot start nmap: every scan of the cycle, confirmations included,
	// must go through the workers.
	noLocal := cfg.Runner
	noLocal.Binary = filepath.Join(dir, "no-local-nmap")
	local, err := scanner.NewRunner(noLocal, profiles)
	if err != nil {
		t.Fatal(err)
	}
	loop := &engine.Loop{W: w, Config: cfg, Log: quiet, Dispatcher: co.Dispatcher, Runner: local}
	writeAWS(t, inv, e)
	rep, err := loop.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Workers == nil {
		t.Fatal("the cycle did not dispatch to the workers")
	}
	jobs := 0
	for name, sr := range rep.Workers.Segments {
		if sr.Done != sr.Jobs || sr.Queued != 0 {
			t.Errorf("segment %s: %d of %d jobs done, %d queued", name, sr.Done, sr.Jobs, sr.Queued)
		}
		jobs += sr.Jobs
	}
	if jobs == 0 {
		t.Fatal("no jobs dispatched")
	}
	if !strings.Contains(rep.Metrics.Notes, "east") || !strings.Contains(rep.Metrics.Notes, "0 queued") {
		t.Errorf("cycle note %q: want each segment's jobs", rep.Metrics.Notes)
	}
	// The cycles table keeps each segment's figures (the report reads them there).
	cycles, err := datasets.ReadCycles(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(cycles) != 1 || len(cycles[0].Segments) != len(rep.Workers.Segments) {
		t.Fatalf("cycles table %+v: want one cycle with the %d segments' figures", cycles, len(rep.Workers.Segments))
	}
	for _, cs := range cycles[0].Segments {
		sr := rep.Workers.Segments[cs.Segment]
		if sr == nil || cs.Jobs != sr.Jobs || cs.Done != sr.Done+sr.Already || cs.Queued != sr.Queued || cs.Live != sr.LiveWorkers || cs.Jobs == 0 {
			t.Errorf("cycles table segment %+v, dispatch said %+v", cs, sr)
		}
	}
	for _, e := range rep.ScanErrors {
		if strings.Contains(e, "queued") || strings.Contains(e, "no workers segment") || strings.Contains(e, "no-local-nmap") {
			t.Errorf("scan error: %s", e)
		}
	}
	scans, err := datasets.ReadAll(ctx, s, datasets.TableScans, nil, datasets.DecodeScans)
	if err != nil {
		t.Fatal(err)
	}
	light := 0
	for _, sc := range scans {
		if sc.Profile == "light" {
			light++
			if !strings.Contains(sc.Args, "--script=http-title") {
				t.Errorf("light scan %s ran %q: want the coordinator's light tier (--script=http-title)", sc.ID, sc.Args)
			}
		}
	}
	if light == 0 {
		t.Errorf("no light scan recorded (%d light hosts planned): the profiles check saw nothing", rep.Metrics.HostsLight)
	}
	infos, err := s.Tables()
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, ti := range infos {
		rows[ti.Name] = ti.Rows
	}
	t.Logf("%d jobs, %d new serious findings, %d confirmed, tables %v", jobs, len(rep.NewFindings), len(rep.Confirmed), rows)
	if len(rep.NewFindings) > 0 && len(rep.Confirmed) == 0 {
		t.Errorf("%d new serious findings, none confirmed through the workers", len(rep.NewFindings))
	}
	if rows["scans"] < int64(jobs) || rows["observations"] == 0 {
		t.Errorf("tables %v: want a scan per job (%d, and confirmations) and observations", rows, jobs)
	}
}

func mustScope(t *testing.T, allow ...string) scanner.Scope {
	t.Helper()
	s, err := scanner.ParseScope(allow, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
