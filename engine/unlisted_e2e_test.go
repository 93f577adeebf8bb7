package engine_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/scanner"
)

// TestUnlistedPortFoundBySweep is the hard case of the port space end to end (real nmap in
// the test's private namespace, real onnxruntime, real Parquet): after the first cycle a
// service is started by hand on a port no list names, on a host whose security group allows
// all traffic from anywhere. The sweep must probe that port within the period the plan
// states for wide-open assets, the ingest must report it as a new_port diff, and, since
// telnet or VNC reachable from the internet is serious, the cycle must raise an alert on it.
// The diff says how long it took (first_possible, detect_cycles), within the stated period.
func TestUnlistedPortFoundBySweep(t *testing.T) {
	netns.Require(t)
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := datasets.Open(dir, nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	ecfg := estate.DefaultConfig()
	ecfg.Hosts, ecfg.Seed, ecfg.Unlisted = 6, 4, 1
	e, err := estate.New(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	next := e.Advance()
	i := slices.IndexFunc(next.Events, func(ev estate.Event) bool {
		return ev.Kind == estate.EventPortOpened && strings.Contains(ev.Detail, "allows all traffic from anywhere")
	})
	if i < 0 {
		t.Fatalf("the estate's drift started no service by hand on a wide-open host: %+v", next.Events)
	}
	ev := next.Events[i]
	if !slices.Contains(estate.UnlistedPorts(), ev.Port) {
		t.Fatalf("event %+v: port %d is not one of the unlisted ports %v", ev, ev.Port, estate.UnlistedPorts())
	}
	lb, err := lab.Start(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()

	inv := filepath.Join(dir, "inventory")
	cfg := engine.DefaultConfig()
	cfg.Scope.Allow = []string{"127.0.0.0/8"}
	cfg.Inventory = []engine.InventorySource{{Provider: "aws", Paths: []string{inv}}}
	// About a seventh of a -p- sweep of the lab a cycle: small enough that no cycle probes
	// everything, large enough that the stated period for wide-open assets is a few cycles.
	cfg.Planner.Budget = 75_000
	cfg.Planner.MinRescan = nil
	cfg.Planner.QuietHours = nil
	cfg.Runner = scanner.LabRunner(cfg.Runner)
	cfg.Schedule.RetrainEvery = 0
	cfg.Alerts.JSONL = ""
	cfg.Alerts.MinAnomaly = 0
	loop := &engine.Loop{W: w, Config: cfg, Log: quiet}

	writeAWS(t, inv, e)
	first, err := loop.Cycle(ctx)
	if err != nil {
		t.Fatalf("cycle 1: %v", err)
	}
	if first.Plan.Sweep == nil || first.Plan.Sweep.WideAssets == 0 {
		t.Fatalf("cycle 1: no wide-open asset in the sweep: %+v", first.Plan.Sweep)
	}
	if err := lb.Apply(ctx, next); err != nil {
		t.Fatal(err)
	}
	writeAWS(t, inv, next)

	// The bound: the period the plan states for wide-open assets, counted from the first cycle
	// after the service started.
	bound := 0
	var diff *riskmap.Diff
	var alerted bool
	for c := 1; diff == nil && (bound == 0 || c <= bound); c++ {
		rep, err := loop.Cycle(ctx)
		if err != nil {
			t.Fatalf("cycle %d: %v", c+1, err)
		}
		if c == 1 {
			bound = rep.Plan.Sweep.WidePeriod
			if bound <= 0 || bound > 6 {
				t.Fatalf("cycle 2: stated wide-open period %d, want 1-6 cycles at this budget: %+v", bound, rep.Plan.Sweep)
			}
		}
		t.Logf("cycle %d: %s; sweep %+v", c+1, rep.Plan.Split, *rep.Plan.Sweep)
		for j, d := range rep.Diffs {
			if d.IP == ev.IP && d.Port == ev.Port && d.Change == riskmap.ChangeNewPort {
				diff = &rep.Diffs[j]
			}
		}
		for _, a := range rep.Alerts {
			alerted = alerted || (a.IP == ev.IP && a.Port == ev.Port)
		}
	}
	if diff == nil {
		t.Fatalf("the service started by hand on %s:%d was not reported as a new_port diff within the stated %d cycles", ev.IP, ev.Port, bound)
	}
	if diff.FirstPossible.IsZero() || diff.DetectCycles < 0 || diff.DetectCycles >= bound {
		t.Errorf("new_port diff %+v: want a first possible time and under %d cycles to detect", *diff, bound)
	}
	if !alerted {
		t.Errorf("new_port diff %+v on a wide-open host raised no alert", *diff)
	}
	diffs, err := datasets.ReadAll(ctx, s, datasets.TableDiffs, nil, datasets.DecodeDiffs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(diffs, func(d riskmap.Diff) bool {
		return d.IP == ev.IP && d.Port == ev.Port && d.Change == riskmap.ChangeNewPort && d.FirstPossible.Equal(diff.FirstPossible) && d.DetectCycles == diff.DetectCycles
	}) {
		t.Errorf("the new_port diff of %s:%d is not in the diffs table", ev.IP, ev.Port)
	}
}
