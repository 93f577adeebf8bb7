package engine_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/ingest"
)

// TestExplainWideOpenAsset plans on a simulated history (no scan runs) and checks that a
// wide-open asset with a service on an unlisted port gets that port predicted because it was
// seen open (or re-checked, its finding being serious), gets port-space sweep blocks, and that the plan states the sweep's period.
func TestExplainWideOpenAsset(t *testing.T) {
	ctx := context.Background()
	s, _ := datasets.Open(t.TempDir(), nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cfgE := estate.DefaultConfig()
	cfgE.Hosts, cfgE.Seed, cfgE.Unlisted = 24, 5, 2
	e, err := ingest.Simulate(ctx, w, cfgE, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Every wide-open host of the hard cases runs a service on an unlisted port.
	unlisted := map[string]int{}
	for _, in := range e.Instances {
		for _, sv := range in.Services {
			if slices.Contains(estate.UnlistedPorts(), sv.Port) {
				unlisted[in.ID] = sv.Port
			}
		}
	}
	if len(unlisted) == 0 {
		t.Fatal("the estate has no service on an unlisted port")
	}
	cfg := engine.DefaultConfig()
	cfg.Scope.Allow = []string{"127.0.0.0/8"}
	cfg.Planner.Budget = 100_000
	cfg.Planner.QuietHours = nil
	now := e.Time.Add(30 * time.Hour)
	loop := &engine.Loop{W: w, Config: cfg, Log: quiet, Now: func() time.Time { return now }}
	plan, err := loop.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Sweep == nil || plan.Sweep.Period <= 0 || plan.Sweep.WideAssets == 0 || plan.Split.Sweep == 0 {
		t.Fatalf("plan sweep %+v split %+v: want a stated period, wide-open assets and sweep probes", plan.Sweep, plan.Split)
	}
	// The sweep takes wide-open hosts one whole host at a time, most valuable first, so one
	// cycle need not reach every one of them; at least one must be swept, and each must have
	// its unlisted port predicted or re-checked.
	sweptAssets := 0
	for asset, port := range unlisted {
		it, why, err := loop.Explain(ctx, asset)
		if err != nil {
			t.Fatal(err)
		}
		if it == nil {
			t.Fatalf("%s is not in the plan", asset)
		}
		got := map[int]string{}
		swept := 0
		for _, pw := range why {
			got[pw.Port] = pw.Why
			if strings.HasPrefix(pw.Why, "port-space sweep") {
				swept++
			}
		}
		// Seen open by the simulated scan: predicted, or re-checked when its finding is serious.
		if !strings.Contains(got[port], "seen open on this asset") && !strings.Contains(got[port], "re-check") {
			t.Errorf("%s port %d: %q, want it predicted as seen open or re-checked", asset, port, got[port])
		}
		if swept > 0 {
			sweptAssets++
		}
		if len(why) != len(it.Ports) {
			t.Errorf("%s: %d reasons for %d ports", asset, len(why), len(it.Ports))
		}
	}
	if sweptAssets == 0 {
		t.Errorf("none of the wide-open assets with unlisted services (%v) has a port swept", unlisted)
	}
	if _, _, err := loop.Explain(ctx, "i-nope"); err == nil {
		t.Error("explaining an unknown asset gave no error")
	}
}
