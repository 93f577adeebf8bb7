// Over 400 lines: the planner's behaviour tests (budget, tiers, exploration, rescan intervals,
// quiet hours, network caps, determinism) share one candidate generator and its checks.

package scanner_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
)

// realProfiles resolves the default profiles against the system's nmap-services, so that
// the planner tests see the probe counts of real tiers (100, 1000, 65535 ports).
func realProfiles(t testing.TB) *scanner.Profiles {
	t.Helper()
	p, err := scanner.DefaultProfileConfig().Load()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func cand(id string, risk float32, ips ...string) scanner.Candidate {
	c := scanner.Candidate{AssetID: id, Risk: risk, Network: "vpc-1"}
	for _, ip := range ips {
		c.IPs = append(c.IPs, netip.MustParseAddr(ip))
	}
	return c
}

// testConfig is the default planner config without quiet hours (which depend on the local
// zone), with the budget given, and without the port-space sweep and re-checks: the tests that
// use it check the tier planner, which predates them (sweep_test.go checks those).
func testConfig(budget int) scanner.PlannerConfig {
	c := scanner.DefaultPlannerConfig()
	c.QuietHours = nil
	c.Budget = budget
	c.Sweep, c.Recheck, c.Fresh = 0, 0, 0
	return c
}

// randomCandidates makes n candidates with seeded random scores, addresses, predicted ports
// and scan history.
func randomCandidates(rng *rand.Rand, n int) []scanner.Candidate {
	out := make([]scanner.Candidate, n)
	for i := range out {
		c := scanner.Candidate{
			AssetID: fmt.Sprintf("i-%04d", i),
			Network: fmt.Sprintf("vpc-%d", rng.IntN(3)),
			Risk:    rng.Float32(), Anomaly: rng.Float32() * rng.Float32(),
			Tags: map[string]string{"env": []string{"prod", "dev"}[rng.IntN(2)]},
		}
		for j := rng.IntN(3); j >= 0; j-- {
			c.IPs = append(c.IPs, netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), byte(j + 1)}))
		}
		for j := rng.IntN(4); j > 0; j-- {
			c.PredictedPorts = append(c.PredictedPorts, []int{6379, 11211, 27017, 2375, 10250, 9200, 22}[rng.IntN(7)])
		}
		if rng.IntN(3) > 0 {
			c.LastScanned = t0.Add(-time.Duration(rng.IntN(24*20)) * time.Hour)
			c.LastTier = riskmap.Tier(1 + rng.IntN(3))
		}
		out[i] = c
	}
	return out
}

func TestPlanBudgetNeverExceeded(t *testing.T) {
	profiles := realProfiles(t)
	rng := rand.New(rand.NewPCG(7, 7))
	cands := randomCandidates(rng, 300)
	for _, budget := range []int{1, 150, 5_000, 120_000, 1_000_000, 20_000_000} {
		for _, explore := range []float64{0, 0.1, 0.5} {
			t.Run(fmt.Sprintf("%d/%v", budget, explore), func(t *testing.T) {
				cfg := testConfig(budget)
				cfg.Exploration = explore
				cfg.NetworkRate = map[string]int{"vpc-2": 20}
				cfg.Window = 10 * time.Minute
				p, err := scanner.NewPlan(t0, cands, cfg, profiles)
				if err != nil {
					t.Fatal(err)
				}
				if p.Probes > budget {
					t.Fatalf("plan spends %d probes, budget %d", p.Probes, budget)
				}
				sum, perNet := 0, map[string]int{}
				for _, it := range p.Items {
					want := profiles.Probes(it.Tier, len(it.IPs), len(it.Ports), len(it.UDPPorts))
					if it.Probes != want {
						t.Errorf("%s: probes %d, want hosts x ports x factor = %d", it.AssetID, it.Probes, want)
					}
					sum += it.Probes
					perNet[it.Network] += it.Probes
				}
				if sum != p.Probes {
					t.Errorf("items add up to %d, plan says %d", sum, p.Probes)
				}
				if perNet["vpc-2"] > 20*600 {
					t.Errorf("vpc-2 gets %d probes, above its cap of 20/s x 600s", perNet["vpc-2"])
				}
				skipped := 0
				for _, n := range p.Skipped {
					skipped += n
				}
				if skipped+len(p.Items) != len(cands) {
					t.Errorf("%d planned + %d skipped != %d candidates", len(p.Items), skipped, len(cands))
				}
				if err := p.Validate(); err != nil {
					t.Errorf("a fresh plan does not validate: %v", err)
				}
			})
		}
	}
}

func TestPlanExploration(t *testing.T) {
	profiles := realProfiles(t)
	var cands []scanner.Candidate
	for i := 0; i < 40; i++ {
		c := cand(fmt.Sprintf("hot-%02d", i), 0.9, fmt.Sprintf("10.0.0.%d", i+1))
		c.PredictedPorts = []int{6379}
		cands = append(cands, c)
	}
	for i := 0; i < 200; i++ {
		c := cand(fmt.Sprintf("cold-%03d", i), 0.01, fmt.Sprintf("10.0.1.%d", i+1))
		if i%2 == 0 {
			c.LastScanned, c.LastTier = t0.Add(-400*time.Hour), riskmap.TierStandard
		}
		cands = append(cands, c)
	}
	// Exactly enough for the hot assets at standard (1,001 ports x 1.2 = 1,202 probes each), so
	// that without exploration the cold ones get nothing.
	budget := 40 * 1202
	t.Run("share kept", func(t *testing.T) {
		cfg := testConfig(budget)
		cfg.Exploration = 0.2
		p, err := scanner.NewPlan(t0, cands, cfg, profiles)
		if err != nil {
			t.Fatal(err)
		}
		explored, probes := 0, 0
		for _, it := range p.Items {
			if it.Explore {
				explored++
				probes += it.Probes
				if !strings.HasPrefix(it.AssetID, "cold-") {
					t.Errorf("exploration picked %s, a high-scored asset", it.AssetID)
				}
				if !strings.Contains(strings.Join(it.Reasons, ";"), "exploration") {
					t.Errorf("%s: reasons %q do not say exploration", it.AssetID, it.Reasons)
				}
			}
		}
		share := int(float64(budget) * cfg.Exploration)
		if explored == 0 || probes > share || probes < share-101 {
			t.Fatalf("exploration: %d items, %d probes; want about %d probes (the share)", explored, probes, share)
		}
	})
	t.Run("none without a share", func(t *testing.T) {
		cfg := testConfig(budget)
		cfg.Exploration = 0
		p, err := scanner.NewPlan(t0, cands, cfg, profiles)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			if it.Explore || strings.HasPrefix(it.AssetID, "cold-") {
				t.Fatalf("without exploration %s was planned (explore=%v)", it.AssetID, it.Explore)
			}
		}
	})
}

func tierOf(p *scanner.Plan, id string) riskmap.Tier {
	for _, it := range p.Items {
		if it.AssetID == id {
			return it.Tier
		}
	}
	return riskmap.TierSkip
}

func TestPlanHigherRiskGoesDeeper(t *testing.T) {
	profiles := realProfiles(t)
	var cands []scanner.Candidate
	for i := 0; i < 20; i++ {
		c := cand(fmt.Sprintf("a-%02d", i), float32(i)/20, fmt.Sprintf("10.0.0.%d", i+1))
		c.PredictedPorts = []int{6379, 27017}
		cands = append(cands, c)
	}
	for _, budget := range []int{1_000, 10_000, 30_000, 300_000, 1_000_000} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			cfg := testConfig(budget)
			cfg.Exploration = 0
			p, err := scanner.NewPlan(t0, cands, cfg, profiles)
			if err != nil {
				t.Fatal(err)
			}
			var tiers []riskmap.Tier
			for i := 0; i < 20; i++ {
				tiers = append(tiers, tierOf(p, fmt.Sprintf("a-%02d", i)))
			}
			for i := 1; i < len(tiers); i++ {
				if tiers[i] < tiers[i-1] {
					t.Fatalf("risk %v got %s but lower risk %v got %s: %v", float32(i)/20, tiers[i], float32(i-1)/20, tiers[i-1], tiers)
				}
			}
			if tiers[19] == riskmap.TierSkip {
				t.Fatalf("the riskiest asset was not scanned: %v", tiers)
			}
			if budget == 1_000_000 && tiers[19] != riskmap.TierDeep {
				t.Errorf("with a million probes the riskiest asset got %s, want deep: %v", tiers[19], tiers)
			}
		})
	}
}

func TestPlanQuietHours(t *testing.T) {
	profiles := realProfiles(t)
	prod := cand("prod-db", 0.95, "10.0.0.1")
	prod.Tags = map[string]string{"Env": "PROD"}
	dev := cand("dev-db", 0.95, "10.0.0.2")
	dev.Tags = map[string]string{"env": "dev"}
	night := cand("batch", 0.95, "10.0.0.3")
	night.Tags = map[string]string{"role": "batch"}
	cands := []scanner.Candidate{prod, dev, night}
	cfg := testConfig(1_000_000)
	cfg.Exploration = 0
	cfg.QuietHours = []scanner.QuietHours{
		{Tag: "env", Value: "prod", From: "09:00", To: "18:00", Location: "Europe/Paris", MaxTier: riskmap.TierStandard},
		{Tag: "role", Value: "batch", From: "22:00", To: "06:00", Location: "UTC", MaxTier: riskmap.TierSkip},
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		now   time.Time
		prod  riskmap.Tier
		batch riskmap.Tier
	}{
		{"paris office hours", time.Date(2026, 11, 23, 10, 30, 0, 0, paris), riskmap.TierStandard, riskmap.TierDeep},
		{"paris evening", time.Date(2026, 11, 23, 19, 0, 0, 0, paris), riskmap.TierDeep, riskmap.TierDeep},
		{"utc night, wrapping midnight", time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC), riskmap.TierDeep, riskmap.TierSkip},
		{"utc early morning", time.Date(2026, 11, 23, 5, 59, 0, 0, time.UTC), riskmap.TierDeep, riskmap.TierSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := scanner.NewPlan(tt.now, cands, cfg, profiles)
			if err != nil {
				t.Fatal(err)
			}
			if got := tierOf(p, "prod-db"); got != tt.prod {
				t.Errorf("prod-db tier = %s, want %s", got, tt.prod)
			}
			if got := tierOf(p, "dev-db"); got != riskmap.TierDeep {
				t.Errorf("dev-db tier = %s, want deep (no quiet hours for dev)", got)
			}
			if got := tierOf(p, "batch"); got != tt.batch {
				t.Errorf("batch tier = %s, want %s", got, tt.batch)
			}
			if tt.batch == riskmap.TierSkip && p.Skipped[scanner.SkipQuietHours] != 1 {
				t.Errorf("skipped = %v, want one for quiet hours", p.Skipped)
			}
			for _, it := range p.Items {
				if it.AssetID == "prod-db" && tt.prod == riskmap.TierStandard && !strings.Contains(strings.Join(it.Reasons, ";"), "quiet hours") {
					t.Errorf("capped item's reasons %q do not mention quiet hours", it.Reasons)
				}
			}
		})
	}
}

func TestPlanMinRescan(t *testing.T) {
	profiles := realProfiles(t)
	recentStd := cand("recent-standard", 0.9, "10.0.0.1")
	recentStd.LastScanned, recentStd.LastTier = t0.Add(-time.Hour), riskmap.TierStandard
	recentDeep := cand("recent-deep", 0.9, "10.0.0.2")
	recentDeep.LastScanned, recentDeep.LastTier = t0.Add(-time.Hour), riskmap.TierDeep
	oldDeep := cand("old-deep", 0.9, "10.0.0.3")
	oldDeep.LastScanned, oldDeep.LastTier = t0.Add(-8*24*time.Hour), riskmap.TierDeep
	lightYesterday := cand("light-yesterday", 0.9, "10.0.0.4")
	lightYesterday.LastScanned, lightYesterday.LastTier = t0.Add(-7*time.Hour), riskmap.TierLight
	cands := []scanner.Candidate{recentStd, recentDeep, oldDeep, lightYesterday, cand("no-ip", 0.9)}

	t.Run("small budget", func(t *testing.T) {
		// Enough for light or standard scans only: the recently scanned assets cannot have
		// them again, the one scanned 7h ago at light can have light again.
		cfg := testConfig(5_000)
		cfg.Exploration = 0
		p, err := scanner.NewPlan(t0, cands, cfg, profiles)
		if err != nil {
			t.Fatal(err)
		}
		if got := tierOf(p, "recent-standard"); got != riskmap.TierSkip {
			t.Errorf("recent-standard got %s, want skip (standard an hour ago, deep too dear)", got)
		}
		if got := tierOf(p, "recent-deep"); got != riskmap.TierSkip {
			t.Errorf("recent-deep got %s, want skip", got)
		}
		if got := tierOf(p, "light-yesterday"); got == riskmap.TierSkip {
			t.Errorf("light-yesterday was not planned; 7h > 6h light interval")
		}
		if p.Skipped[scanner.SkipMinRescan] != 1 || p.Skipped[scanner.SkipNoAddress] != 1 {
			t.Errorf("skipped = %v, want min_rescan 1 (recent-deep), no_address 1", p.Skipped)
		}
	})
	t.Run("large budget", func(t *testing.T) {
		cfg := testConfig(10_000_000)
		cfg.Exploration = 0
		p, err := scanner.NewPlan(t0, cands, cfg, profiles)
		if err != nil {
			t.Fatal(err)
		}
		if got := tierOf(p, "recent-standard"); got != riskmap.TierDeep {
			t.Errorf("recent-standard got %s, want deep: a deeper tier may follow at once", got)
		}
		if got := tierOf(p, "recent-deep"); got != riskmap.TierSkip {
			t.Errorf("recent-deep got %s, want skip: deep waits 7 days", got)
		}
		if got := tierOf(p, "old-deep"); got != riskmap.TierDeep {
			t.Errorf("old-deep got %s, want deep after 8 days", got)
		}
	})
}

func TestPlanDeterministic(t *testing.T) {
	profiles := realProfiles(t)
	cands := randomCandidates(rand.New(rand.NewPCG(3, 4)), 1000)
	cfg := testConfig(100_000)
	cfg.Exploration = 0.1
	a, err := scanner.NewPlan(t0, cands, cfg, profiles)
	if err != nil {
		t.Fatal(err)
	}
	reversed := make([]scanner.Candidate, len(cands))
	for i, c := range cands {
		reversed[len(cands)-1-i] = c
	}
	b, err := scanner.NewPlan(t0, reversed, cfg, profiles)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("the same candidates in another order give another plan")
	}
	cfg.Seed = 99
	c, err := scanner.NewPlan(t0, cands, cfg, profiles)
	if err != nil {
		t.Fatal(err)
	}
	if jc, _ := json.Marshal(c); string(jc) == string(ja) {
		t.Error("another seed drew exactly the same exploration; the seed seems unused")
	}
}

func TestPlanErrors(t *testing.T) {
	profiles := realProfiles(t)
	nan := cand("a", 0, "10.0.0.1")
	nan.Risk = float32(nanValue())
	tests := []struct {
		name  string
		cands []scanner.Candidate
		cfg   func(*scanner.PlannerConfig)
		err   string
	}{
		{name: "zero budget", cfg: func(c *scanner.PlannerConfig) { c.Budget = 0 }, err: "planner.budget"},
		{name: "exploration of one", cfg: func(c *scanner.PlannerConfig) { c.Exploration = 1 }, err: "planner.exploration"},
		{name: "negative rescan", cfg: func(c *scanner.PlannerConfig) { c.MinRescan[riskmap.TierDeep] = -time.Hour }, err: "min_rescan.deep"},
		{name: "rescan of skip", cfg: func(c *scanner.PlannerConfig) { c.MinRescan[riskmap.TierSkip] = time.Hour }, err: "tier skip"},
		{name: "bad clock", cfg: func(c *scanner.PlannerConfig) {
			c.QuietHours = []scanner.QuietHours{{From: "9am", To: "18:00"}}
		}, err: "quiet_hours[0].from"},
		{name: "empty window", cfg: func(c *scanner.PlannerConfig) {
			c.QuietHours = []scanner.QuietHours{{From: "09:00", To: "09:00"}}
		}, err: "quiet_hours[0].to"},
		{name: "unknown zone", cfg: func(c *scanner.PlannerConfig) {
			c.QuietHours = []scanner.QuietHours{{From: "09:00", To: "10:00", Location: "Mars/Olympus"}}
		}, err: "quiet_hours[0].location"},
		{name: "zero rate", cfg: func(c *scanner.PlannerConfig) { c.NetworkRate = map[string]int{"vpc": 0} }, err: "network_rate.vpc"},
		{name: "nan risk", cands: []scanner.Candidate{nan}, err: `candidate "a": risk`},
		{name: "duplicate", cands: []scanner.Candidate{cand("a", 0.1, "10.0.0.1"), cand("a", 0.2, "10.0.0.2")}, err: "appears twice"},
		{name: "no id", cands: []scanner.Candidate{cand("", 0.1, "10.0.0.1")}, err: "no asset id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(1000)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			_, err := scanner.NewPlan(t0, tt.cands, cfg, profiles)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			if tt.cfg != nil && !errors.Is(err, scanner.ErrBadConfig) {
				t.Errorf("err %v does not wrap ErrBadConfig", err)
			}
		})
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func BenchmarkNewPlan(b *testing.B) {
	profiles := realProfiles(b)
	cands := randomCandidates(rand.New(rand.NewPCG(1, 2)), 10_000)
	cfg := testConfig(20_000_000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := scanner.NewPlan(t0, cands, cfg, profiles); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(cands))*float64(b.N)/b.Elapsed().Seconds(), "assets/s")
}
