package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/scanner"
)

// TestCycleSurvivesSIGKILL kills `riskmap cycle --once` at random points against a lab in
// the test's private namespace, restarts it, and checks after every kill that the workspace
// is readable with no scan recorded twice or half; a last uninterrupted cycle must complete.
func TestCycleSurvivesSIGKILL(t *testing.T) {
	netns.Require(t)
	if testing.Short() {
		t.Skip("-short: the cycle crash test runs real scans")
	}
	ctx := context.Background()
	cfgE := estate.DefaultConfig()
	cfgE.Hosts, cfgE.Seed = 16, 3
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
	cfg := engine.DefaultConfig()
	cfg.Scope.Allow = []string{"127.0.0.0/8"}
	cfg.Inventory = []engine.InventorySource{{Provider: "aws", Paths: []string{inv}}}
	cfg.Planner.Budget = 16 * 150 // light tiers only: the test is about crashes, not depth
	cfg.Planner.MinRescan = nil
	cfg.Runner = scanner.LabRunner(cfg.Runner)
	cfg.Schedule.RetrainEvery = 0
	if err := engine.WriteConfig(ws, cfg); err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	cli := func() *exec.Cmd {
		cmd := exec.Command(exe, "-test.run=^$", "cycle", "--once")
		cmd.Env = append(os.Environ(), "RISKMAP_TEST_AS_CLI=1", "RISKMAP_WORKSPACE="+ws)
		return cmd
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for round := 0; round < 6; round++ {
		cmd := cli()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(300+rng.IntN(2500)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		checkWorkspace(t, ws, fmt.Sprintf("after kill %d", round))
	}
	if out, err := cli().CombinedOutput(); err != nil {
		t.Fatalf("cycle after the kills: %v\n%s", err, out)
	}
	checkWorkspace(t, ws, "after a full cycle")
	s, _ := datasets.Open(ws, nil)
	cycles, err := datasets.ReadCycles(ctx, s)
	if err != nil || len(cycles) == 0 {
		t.Fatalf("no cycle recorded after a full run: %v", err)
	}
}
