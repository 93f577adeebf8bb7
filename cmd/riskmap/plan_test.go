package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/ingest"
	"github.com/riskmap/riskmap/models"
)

// TestPlanSplitAndExplain checks that `riskmap plan` prints the budget split and the sweep's
// coverage period, and that `plan --explain ASSET` says why each port is planned.
func TestPlanSplitAndExplain(t *testing.T) {
	if err := models.InitRuntime(); err != nil {
		t.Fatalf("%v: run make setup", err)
	}
	ws := t.TempDir()
	s, _ := datasets.Open(ws, nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	cfg := estate.DefaultConfig()
	cfg.Hosts, cfg.Seed, cfg.Unlisted = 24, 5, 2
	e, err := ingest.Simulate(context.Background(), w, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	yaml := "scope: {allow: [127.0.0.0/8]}\nplanner: {budget: 100000, quiet_hours: []}\n"
	if err := os.WriteFile(filepath.Join(ws, "riskmap.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, ws, "plan")
	if code != exitOK {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"budget split: predicted ports", "port-space sweep:", "at least once every"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	var wide string
	for _, in := range e.Instances {
		for _, sv := range in.Services {
			if slices.Contains(estate.UnlistedPorts(), sv.Port) {
				wide = in.ID
			}
		}
	}
	if wide == "" {
		t.Fatal("no host with a service on an unlisted port in the estate")
	}
	code, out, errOut = run(t, ws, "plan", "--explain", wide)
	if code != exitOK {
		t.Fatalf("plan --explain %s: exit %d: %s", wide, code, errOut)
	}
	t.Logf("plan --explain %s:\n%s", wide, out)
	if !strings.Contains(out, "PORTS") || !strings.Contains(out, "port-space sweep") {
		t.Errorf("plan --explain %s output:\n%s", wide, out)
	}
	if code, _, errOut := run(t, ws, "plan", "--explain", "i-nope"); code != exitFail || !strings.Contains(errOut, "i-nope") {
		t.Errorf("plan --explain of an unknown asset: exit %d, %s", code, errOut)
	}
}
