package scanner_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
)

func TestReadConfig(t *testing.T) {
	f, err := os.Open("testdata/config/scanner.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := scanner.ReadConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	scope, err := c.Scope.Scope()
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"scope", scope.String(), "allow 10.0.0.0/16,fd00::/64,192.0.2.7/32 exclude 10.0.5.0/24"},
		{"max expand", scope.MaxExpand, 4096},
		{"light top ports", c.Profiles.Light.TopPorts, 50},
		{"standard kept its default", c.Profiles.Standard.TopPorts, 1000},
		{"deep version", c.Profiles.Deep.Version, "all"},
		{"deep udp", c.Profiles.Deep.UDPTopPorts, 20},
		{"budget", c.Planner.Budget, 500000},
		{"min rescan light", c.Planner.MinRescan[riskmap.TierLight], 2 * time.Hour},
		{"min rescan standard kept", c.Planner.MinRescan[riskmap.TierStandard], 24 * time.Hour},
		{"min rescan deep", c.Planner.MinRescan[riskmap.TierDeep], 72 * time.Hour},
		{"quiet hours", len(c.Planner.QuietHours), 1},
		{"quiet max tier", c.Planner.QuietHours[0].MaxTier, riskmap.TierLight},
		{"network rate", c.Planner.NetworkRate["vpc-1"], 200},
		{"window", c.Planner.Window, 30 * time.Minute},
		{"seed", c.Planner.Seed, int64(42)},
		{"anomaly weight kept", c.Planner.AnomalyWeight, 0.5},
		{"parallel", c.Runner.Parallel, 3},
		{"host timeout", c.Runner.HostTimeout, 10 * time.Minute},
		{"rate initial", c.Runner.Rate.Initial, 200},
		{"rate min kept", c.Runner.Rate.Min, 10},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestReadConfigErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown field", "planner:\n  budjet: 5\n", "field budjet not found"},
		{"unknown tier key", "planner:\n  min_rescan: {deeper: 1h}\n", `tier "deeper"`},
		{"bad duration", "runner:\n  host_timeout: soon\n", "line 2"},
		{"bad scope", "scope:\n  allow: [10.0.0.0/40]\n", "scope.allow[0]"},
		{"forbidden script", "profiles:\n  deep: {all_ports: true, factor: 1, detection: 1, scripts: [brute]}\n", "profiles.deep: scripts[0] \"brute\""},
		{"no ports", "profiles:\n  light: {top_ports: 0, predicted_ports: false}\n", "profiles.light: no ports"},
		{"rate", "runner:\n  rate: {initial: 5000}\n", "runner.rate.initial"},
		{"parallel", "runner:\n  parallel: 0\n", "runner.parallel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scanner.ReadConfig(strings.NewReader(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, scanner.ErrBadConfig) {
				t.Fatalf("err = %v, want ErrBadConfig saying %q", err, tt.want)
			}
		})
	}
	t.Run("empty is the defaults", func(t *testing.T) {
		c, err := scanner.ReadConfig(strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		if c.Planner.Budget != scanner.DefaultPlannerConfig().Budget || len(c.Scope.Allow) != 0 {
			t.Errorf("empty config = %+v", c)
		}
	})
}

func FuzzReadConfig(f *testing.F) {
	data, err := os.ReadFile("testdata/config/scanner.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	f.Add("planner: {budget: 1}\n")
	f.Add("scope: {allow: [\"::/0\"]}\nrunner: {rate: {min: 1, max: 1, initial: 1}}\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := scanner.ReadConfig(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, scanner.ErrBadConfig) {
				t.Fatalf("error %v does not wrap ErrBadConfig", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ReadConfig accepted a config that does not validate: %v", err)
		}
	})
}
