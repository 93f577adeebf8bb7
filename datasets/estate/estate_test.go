package estate_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
)

// fingerprint is everything an estate exposes, serialised: equal fingerprints, equal estates.
func fingerprint(t testing.TB, e *estate.Estate) string {
	t.Helper()
	var inst, sgs bytes.Buffer
	if err := e.WriteAWS(&inst, &sgs); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s\n%s\n%v\n%v\n%+v", inst.String(), sgs.String(), e.Truth(), e.Events, e.Observations("s", e.Time))
}

func TestGenerateIsDeterministic(t *testing.T) {
	cfg := estate.DefaultConfig()
	a, b := estate.Generate(cfg), estate.Generate(cfg)
	if fingerprint(t, a) != fingerprint(t, b) {
		t.Fatal("two estates from the same config differ")
	}
	cfg.Seed++
	if fingerprint(t, estate.Generate(cfg)) == fingerprint(t, a) {
		t.Fatal("estates from different seeds are identical")
	}
}

func TestAdvanceIsDeterministicAndLeavesItsInputAlone(t *testing.T) {
	cfg := estate.DefaultConfig()
	a, b := estate.Generate(cfg), estate.Generate(cfg)
	before := fingerprint(t, a)
	for range 3 {
		a, b = a.Advance(), b.Advance()
	}
	if fingerprint(t, a) != fingerprint(t, b) {
		t.Fatal("epoch 3 differs between two runs from the same seed")
	}
	first := estate.Generate(cfg)
	first.Advance()
	if fingerprint(t, first) != before {
		t.Fatal("Advance changed the epoch it advanced from")
	}
	if a.Epoch != 3 || !a.Time.Equal(cfg.Start.Add(3*cfg.EpochEvery)) {
		t.Fatalf("epoch 3 is numbered %d at %v", a.Epoch, a.Time)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := estate.DefaultConfig()
	tests := []struct {
		name string
		edit func(*estate.Config)
	}{
		{"no hosts", func(c *estate.Config) { c.Hosts = 0 }},
		{"no accounts", func(c *estate.Config) { c.Accounts = 0 }},
		{"fewer VPCs than accounts", func(c *estate.Config) { c.Accounts, c.VPCs = 4, 3 }},
		{"too many VPCs", func(c *estate.Config) { c.VPCs = 246 }},
		{"no epoch length", func(c *estate.Config) { c.EpochEvery = 0 }},
		{"no start", func(c *estate.Config) { c.Start = time.Time{} }},
		{"too many hosts for the VPCs", func(c *estate.Config) { c.Hosts, c.VPCs, c.Accounts = 100_000, 1, 1 }},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			if !errors.Is(err, estate.ErrConfig) {
				t.Fatalf("Validate = %v, want ErrConfig", err)
			}
			if _, err := estate.New(c); !errors.Is(err, estate.ErrConfig) {
				t.Fatalf("New = %v, want ErrConfig", err)
			}
		})
	}
}

// checkInvariants fails t if e breaks what every epoch promises.
func checkInvariants(t testing.TB, e *estate.Estate) {
	t.Helper()
	lab := netip.MustParsePrefix("127.0.0.0/8")
	ids, labIPs, pubs := map[string]bool{}, map[string]string{}, map[string]string{}
	sgs := map[string]bool{}
	for _, sg := range e.SecurityGroups {
		sgs[sg.ID] = true
	}
	images := map[string]bool{}
	for _, img := range e.Images {
		images[img.ID] = true
	}
	for i, in := range e.Instances {
		if i > 0 && e.Instances[i-1].ID >= in.ID {
			t.Fatalf("instances not sorted by id at %d", i)
		}
		if ids[in.ID] {
			t.Fatalf("instance id %s twice", in.ID)
		}
		ids[in.ID] = true
		a, err := netip.ParseAddr(in.LabIP)
		if err != nil || !lab.Contains(a) || in.LabIP == "127.0.0.1" {
			t.Fatalf("%s: LabIP %q is not a lab address", in.ID, in.LabIP)
		}
		if other, dup := labIPs[in.LabIP]; dup {
			t.Fatalf("LabIP %s held by %s and %s", in.LabIP, other, in.ID)
		}
		labIPs[in.LabIP] = in.ID
		if in.PublicIP != "" {
			p := netip.MustParseAddr(in.PublicIP)
			if !netip.MustParsePrefix("203.0.113.0/24").Contains(p) && !netip.MustParsePrefix("198.51.100.0/24").Contains(p) &&
				!netip.MustParsePrefix("198.18.0.0/15").Contains(p) {
				t.Fatalf("%s: public IP %s outside the documentation and benchmark ranges", in.ID, in.PublicIP)
			}
			if other, dup := pubs[in.PublicIP]; dup {
				t.Fatalf("public IP %s held by %s and %s", in.PublicIP, other, in.ID)
			}
			pubs[in.PublicIP] = in.ID
		}
		if !images[in.Image] {
			t.Fatalf("%s: unknown image %s", in.ID, in.Image)
		}
		for _, id := range in.SecurityGroups {
			if !sgs[id] {
				t.Fatalf("%s: unknown security group %s", in.ID, id)
			}
		}
		for _, k := range []string{"Name", "env", "criticality"} {
			if in.Tags[k] == "" {
				t.Fatalf("%s: no %s tag", in.ID, k)
			}
		}
		if !slices.Contains([]string{"prod", "staging", "dev"}, in.Tags["env"]) ||
			!slices.Contains([]string{"high", "medium", "low"}, in.Tags["criticality"]) {
			t.Fatalf("%s: tags %v", in.ID, in.Tags)
		}
		if in.LaunchedAt.After(e.Time) {
			t.Fatalf("%s launched at %v, after the epoch's time %v", in.ID, in.LaunchedAt, e.Time)
		}
		for j, s := range in.Services {
			if j > 0 && in.Services[j-1].Port >= s.Port {
				t.Fatalf("%s: services not sorted by port, or a port twice: %v", in.ID, in.Services)
			}
			if s.Kind == "" || s.Name == "" || s.Product == "" || s.Version == "" || s.Proto != "tcp" {
				t.Fatalf("%s: incomplete service %+v", in.ID, s)
			}
		}
	}
}

func TestEpochsKeepTheirPromises(t *testing.T) {
	configs := map[string]estate.Config{"default": estate.DefaultConfig()}
	one := estate.DefaultConfig()
	one.Seed, one.Hosts, one.Accounts, one.VPCs = 9, 40, 1, 1
	configs["one VPC"] = one
	wide := estate.DefaultConfig()
	wide.Seed, wide.Hosts, wide.Accounts, wide.VPCs = 3, 1500, 5, 12
	configs["1500 hosts"] = wide
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			e := estate.Generate(cfg)
			if len(e.Instances) != cfg.Hosts {
				t.Fatalf("epoch 0 has %d instances, want %d", len(e.Instances), cfg.Hosts)
			}
			if len(e.Accounts) != cfg.Accounts || len(e.VPCs) != cfg.VPCs {
				t.Fatalf("%d accounts, %d VPCs; want %d, %d", len(e.Accounts), len(e.VPCs), cfg.Accounts, cfg.VPCs)
			}
			for range 4 {
				checkInvariants(t, e)
				e = e.Advance()
			}
			checkInvariants(t, e)
		})
	}
}

func TestShowcaseCoversEveryKind(t *testing.T) {
	e := estate.Showcase(time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC))
	seen := map[string]bool{}
	for _, in := range e.Instances {
		for _, s := range in.Services {
			seen[s.Kind] = true
		}
	}
	for _, k := range estate.Kinds() {
		if !seen[k] {
			t.Errorf("kind %s is not in the showcase", k)
		}
	}
	if next := e.Advance(); len(next.Events) != 0 || len(next.Instances) != len(e.Instances) || next.Epoch != 1 {
		t.Fatalf("a showcase drifted: %d events, %d instances", len(next.Events), len(next.Instances))
	}
}
