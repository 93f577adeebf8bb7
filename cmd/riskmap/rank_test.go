package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/ingest"
)

// TestPlanAndTargetsRankAlike runs `riskmap plan` and `riskmap targets` on the same estate
// (a simulated history with the bundled models; nothing is scanned) and checks that they rank
// it in the same order, by the same priority: both rank by scanner.Objective.
func TestPlanAndTargetsRankAlike(t *testing.T) {
	ws := t.TempDir()
	s, err := datasets.Open(ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	cfgE := estate.DefaultConfig()
	cfgE.Hosts, cfgE.Seed = 40, 11
	if _, err := ingest.Simulate(context.Background(), w, cfgE, 3); err != nil {
		t.Fatal(err)
	}
	w.Close()
	cfg := engine.DefaultConfig()
	cfg.Scope.Allow = []string{"127.0.0.0/8"} // the estate's addresses; planning sends nothing
	cfg.Planner.MinRescan = nil
	cfg.Planner.AnomalyWeight = 0.8 // not the old fixed 0.25: both must follow the config
	if err := engine.WriteConfig(ws, cfg); err != nil {
		t.Fatal(err)
	}

	code, out, errs := run(t, ws, "plan", "--json")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errs)
	}
	var plan struct {
		Items []struct {
			AssetID  string  `json:"asset_id"`
			Priority float32 `json:"priority"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("plan JSON: %v", err)
	}
	code, out, errs = run(t, ws, "targets", "--format", "jsonl")
	if code != 0 {
		t.Fatalf("targets: exit %d: %s", code, errs)
	}
	type target struct {
		AssetID  string  `json:"asset_id"`
		Priority float32 `json:"priority"`
	}
	var targets []target
	dec := json.NewDecoder(strings.NewReader(out)) // a deep target's line lists 65,535 ports
	for dec.More() {
		var tg target
		if err := dec.Decode(&tg); err != nil {
			t.Fatalf("targets JSONL: %v", err)
		}
		if n := len(targets); n == 0 || targets[n-1].AssetID != tg.AssetID {
			targets = append(targets, tg) // one row per asset: an asset's addresses are adjacent
		}
	}

	inPlan := map[string]float32{}
	distinct := map[float32]bool{}
	for _, it := range plan.Items {
		inPlan[it.AssetID] = it.Priority
		distinct[it.Priority] = true
	}
	if len(plan.Items) < 10 || len(distinct) < 5 {
		t.Fatalf("plan of %d items with %d distinct priorities: too few to compare orders", len(plan.Items), len(distinct))
	}
	var ranked []string
	for _, tg := range targets {
		p, ok := inPlan[tg.AssetID]
		if !ok {
			continue // skipped by the plan (budget): not ranked there
		}
		if p != tg.Priority {
			t.Errorf("asset %s: plan priority %v, targets priority %v", tg.AssetID, p, tg.Priority)
		}
		ranked = append(ranked, tg.AssetID)
	}
	if len(ranked) != len(plan.Items) {
		t.Fatalf("targets list %d of the plan's %d assets", len(ranked), len(plan.Items))
	}
	for i, it := range plan.Items {
		if ranked[i] != it.AssetID {
			t.Fatalf("rank %d: plan has %s, targets %s\nplan:    %v\ntargets: %v", i, it.AssetID, ranked[i], plan.Items, ranked)
		}
	}
}
