package scanner_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
)

// sampleProfiles resolves the default profiles against testdata/nmap-services.sample, so that
// golden plans do not change with the nmap version installed.
func sampleProfiles(t testing.TB) *scanner.Profiles {
	t.Helper()
	p, err := scanner.NewProfiles(scanner.DefaultProfileConfig(), loadSample(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func samplePlan(t testing.TB) *scanner.Plan {
	t.Helper()
	web := cand("i-web", 0.8, "10.0.0.10", "fd00::10")
	web.PredictedPorts = []int{6379, 443}
	web.Reasons = []string{"redis open to 0.0.0.0/0"}
	db := cand("i-db", 0.3, "10.0.0.20")
	db.LastScanned, db.LastTier = t0.Add(-48*time.Hour), riskmap.TierStandard
	quiet := cand("i-quiet", 0.05, "10.0.0.30")
	quiet.Network = "vpc-2"
	cold := cand("i-cold", 0.01, "10.0.0.40")
	cold.LastScanned, cold.LastTier = t0.Add(-30*24*time.Hour), riskmap.TierLight
	recent := cand("i-recent", 0.5, "10.0.0.50")
	recent.LastScanned, recent.LastTier = t0.Add(-2*time.Hour), riskmap.TierDeep
	cfg := testConfig(100_000)
	cfg.Exploration = 0.2
	cfg.NetworkRate = map[string]int{"vpc-2": 1}
	cfg.Window = 10 * time.Second
	p, err := scanner.NewPlan(t0, []scanner.Candidate{web, db, quiet, cold, recent, cand("i-none", 0.9)}, cfg, sampleProfiles(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanJSONRoundTrip(t *testing.T) {
	p := samplePlan(t)
	var buf bytes.Buffer
	if err := scanner.WritePlan(&buf, p); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.golden.json", buf.Bytes())
	got, err := scanner.ReadPlan(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip changed the plan:\n got %+v\nwant %+v", got, p)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var again scanner.Plan
	if err := json.Unmarshal(b, &again); err != nil || !reflect.DeepEqual(&again, p) {
		t.Fatalf("json.Marshal/Unmarshal round trip: %v", err)
	}
}

func TestReadPlanErrors(t *testing.T) {
	base, err := os.ReadFile("testdata/plan.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, from, to string
		want           string
	}{
		{"unknown tier", `"tier": "deep"`, `"tier": "deeper"`, `tier "deeper": want one of skip, light, standard, deep`},
		{"numeric tier", `"tier": "deep"`, `"tier": 3`, "cannot unmarshal number"},
		{"unknown field", `"budget": 100000`, `"budget": 100000, "budjet": 1`, `unknown field "budjet"`},
		{"negative item probes", `"probes": 14`, `"probes": -14`, `plan item 2 (asset "i-cold") probes: -14: want >= 0`},
		{"probes that do not add up", `"probes": 98344`, `"probes": 98345`, "the items add up to 98344"},
		{"over budget", `"budget": 100000`, `"budget": 70`, "above the budget of 70"},
		{"negative budget", `"budget": 100000`, `"budget": -1`, "plan budget: -1"},
		{"bad address", `"10.0.0.40"`, `"10.0.0.400"`, "ParseAddr"},
		{"empty address", `"10.0.0.40"`, `""`, "ips[0]: empty"},
		{"bad port", `"ports": "1,22-23`, `"ports": "0,22-23`, "port 0"},
		{"no ports", `"ports": "1-65535"`, `"ports": ""`, "a deep scan needs ports"},
		{"duplicate asset", `"asset_id": "i-db"`, `"asset_id": "i-cold"`, "also planned as item"},
		{"syntax", `"items": [`, `"items": [,`, "plan line 5 column"},
		{"trailing data", "}\n", "}\n{}", "unexpected data after the plan object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Contains(base, []byte(tt.from)) {
				t.Fatalf("golden plan lacks %q; update the test", tt.from)
			}
			in := strings.Replace(string(base), tt.from, tt.to, 1)
			if tt.name == "trailing data" {
				in = strings.TrimRight(string(base), "\n") + "\n{}"
			}
			_, err := scanner.ReadPlan(strings.NewReader(in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			var pe *scanner.PlanError
			if !errors.Is(err, scanner.ErrBadPlan) || !errors.As(err, &pe) {
				t.Errorf("err %v is not a *PlanError wrapping ErrBadPlan", err)
			}
		})
	}
}

func FuzzReadPlan(f *testing.F) {
	base, err := os.ReadFile("testdata/plan.golden.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(base)
	f.Add([]byte(`{"created_at":"2026-11-23T12:00:00Z","budget":10,"probes":0,"items":[]}`))
	f.Add([]byte(`{"budget":10,"probes":5,"items":[{"asset_id":"a","ips":["::1"],"tier":"light","ports":"1-5","probes":5}]}`))
	f.Add([]byte(`{"items":[{"tier":"skip","asset_id":"x","ips":[],"ports":"","probes":0,"priority":1e39}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := scanner.ReadPlan(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, scanner.ErrBadPlan) {
				t.Fatalf("error %v does not wrap ErrBadPlan", err)
			}
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		again, err := scanner.ReadPlan(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("a plan ReadPlan accepted does not read back: %v\n%s", err, out)
		}
		if out2, _ := json.Marshal(again); !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the plan:\n%s\n%s", out, out2)
		}
		for _, it := range p.Items {
			if it.Probes < 0 {
				t.Fatalf("negative probes accepted")
			}
			for _, a := range it.IPs {
				if !a.IsValid() {
					t.Fatalf("invalid address accepted")
				}
			}
		}
		if p.Probes > p.Budget {
			t.Fatalf("plan over budget accepted")
		}
	})
}
