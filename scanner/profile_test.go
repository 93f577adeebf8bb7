package scanner_test

import (
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
)

func TestProfiles(t *testing.T) {
	p := realProfiles(t)
	predicted := []int{6379, 11211, 22, 6379, 0, 70000}
	tests := []struct {
		tier     riskmap.Tier
		ports    int
		has      []int
		lacks    []int
		probes   int // for 3 hosts
		coverage [2]float64
	}{
		{riskmap.TierSkip, 0, nil, []int{22}, 0, [2]float64{0, 0}},
		// The top 100 hold 22 but neither 6379 nor 11211; invalid predictions are dropped.
		{riskmap.TierLight, 102, []int{22, 80, 6379, 11211}, []int{27017}, 306, [2]float64{0.5, 0.8}},
		{riskmap.TierStandard, 1002, []int{6379, 11211, 3306}, []int{27017}, 3608, [2]float64{0.85, 0.99}},
		{riskmap.TierDeep, 65535, []int{1, 6379, 65535}, nil, 294908, [2]float64{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.tier.String(), func(t *testing.T) {
			ports := p.Ports(tt.tier, predicted)
			if len(ports) != tt.ports || p.PortCount(tt.tier, predicted) != tt.ports {
				t.Errorf("%d ports (count %d), want %d", len(ports), p.PortCount(tt.tier, predicted), tt.ports)
			}
			if err := ports.Validate(); err != nil {
				t.Error(err)
			}
			for _, port := range tt.has {
				if !contains(ports, port) {
					t.Errorf("lacks port %d", port)
				}
			}
			for _, port := range tt.lacks {
				if contains(ports, port) {
					t.Errorf("has port %d", port)
				}
			}
			if got := p.Probes(tt.tier, 3, len(ports), 0); got != tt.probes {
				t.Errorf("probes for 3 hosts = %d, want %d (hosts x ports x factor)", got, tt.probes)
			}
			if c := p.Coverage(tt.tier); c < tt.coverage[0] || c > tt.coverage[1] {
				t.Errorf("coverage %v, want in %v", c, tt.coverage)
			}
		})
	}
}

func contains(l []int, p int) bool {
	for _, x := range l {
		if x == p {
			return true
		}
	}
	return false
}

func TestProfileConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*scanner.ProfileConfig)
		want string
	}{
		{"version", func(c *scanner.ProfileConfig) { c.Standard.Version = "heavy" }, "profiles.standard: version \"heavy\""},
		{"factor", func(c *scanner.ProfileConfig) { c.Light.Factor = 0 }, "profiles.light: factor 0"},
		{"detection", func(c *scanner.ProfileConfig) { c.Deep.Detection = 1.5 }, "profiles.deep: detection 1.5"},
		{"negative top", func(c *scanner.ProfileConfig) { c.Light.TopPorts = -1 }, "top_ports -1"},
		{"script with args", func(c *scanner.ProfileConfig) { c.Deep.Scripts = []string{"http-title --script-args x=1"} }, "scripts[0]"},
		{"intrusive", func(c *scanner.ProfileConfig) { c.Deep.Scripts = []string{"Intrusive"} }, "refused"},
		{"services file", func(c *scanner.ProfileConfig) { c.ServicesPath = "testdata/no-such-file" }, "no-such-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := scanner.DefaultProfileConfig()
			tt.mod(&c)
			if _, err := c.Load(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
