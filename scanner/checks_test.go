package scanner_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/scanner/nse"
)

func TestDefaultTiersRunTheChecks(t *testing.T) {
	c := scanner.DefaultProfileConfig()
	for _, tier := range []scanner.Profile{c.Standard, c.Deep} {
		for _, want := range []string{"riskmap-redis-auth", "riskmap-kubelet-pods", "redis-info", "mongodb-databases", "ftp-anon"} {
			if !slices.Contains(tier.Scripts, want) {
				t.Errorf("scripts %v lack %s", tier.Scripts, want)
			}
		}
	}
	if len(c.Light.Scripts) != 0 {
		t.Errorf("light runs scripts %v, want none (no version detection, no checks)", c.Light.Scripts)
	}
}

// TestEndToEndStandardRunsChecks scans a lab redis that asks for a password at the standard
// tier: the runner installs riskmap's checks, passes them to nmap by path, and the XML holds
// the verdict.
func TestEndToEndStandardRunsChecks(t *testing.T) {
	netns.Require(t)
	at := time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)
	show := estate.Showcase(at)
	var redis estate.Service
	for _, in := range show.Instances {
		for _, s := range in.Services {
			if s.Kind == estate.KindRedis && s.Auth {
				redis = s
			}
		}
	}
	e := &estate.Estate{Time: show.Time, Config: show.Config, Instances: []estate.Instance{{
		ID: "i-0checks000000001", Account: "000000000000", Region: "us-east-1", LabIP: "127.0.0.61", OS: "Ubuntu 22.04",
		Platform: "linux", InstanceType: "t3.micro", AZ: "us-east-1a", LaunchedAt: at.Add(-time.Hour),
		Services: []estate.Service{redis}}}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := lab.Start(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	c := scanner.DefaultProfileConfig()
	c.Standard.TopPorts = 0
	p, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cfg := scanner.DefaultRunnerConfig()
	cfg.Binary, cfg.TempDir, cfg.PollEvery, cfg.Progress = "/usr/bin/nmap", tmp, 50*time.Millisecond, func(scanner.Progress) {}
	r, err := scanner.NewRunner(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	sink, results := collect()
	plan := mkPlan(item("cache", riskmap.TierStandard, "6379", "127.0.0.61"))
	if err := r.Run(ctx, plan, mustScope(t, []string{"127.0.0.0/24"}, nil), sink); err != nil {
		t.Fatal(err)
	}
	got := results()
	if len(got) != 1 || got[0].Err != nil {
		t.Fatalf("results %+v, want one clean batch", got)
	}
	args := strings.Join(got[0].Batch.Args, " ")
	if want := filepath.Join(nse.Dir(tmp), "riskmap-redis-auth.nse"); !strings.Contains(args, want) {
		t.Errorf("args %q do not pass %s", args, want)
	}
	run := parseRun(t, got[0].XML)
	var out string
	for _, h := range run.Hosts {
		for _, port := range h.Ports {
			for _, s := range port.Scripts {
				if s.ID == "riskmap-redis-auth" {
					out = s.Output
				}
			}
		}
	}
	if !strings.Contains(out, "access: auth-required") {
		t.Errorf("riskmap-redis-auth output %q, want access: auth-required", out)
	}
}
