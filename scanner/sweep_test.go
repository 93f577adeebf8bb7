package scanner_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
)

// sweepConfig is testConfig with the sweep on.
func sweepConfig(budget int, share, wide float64, block int) scanner.PlannerConfig {
	c := testConfig(budget)
	c.Sweep, c.SweepWide, c.SweepBlock = share, wide, block
	return c
}

// simulate runs cycles of the planner an hour apart, recording what each plan probes as the
// coverage table would, and calls check after each with the cycle's plan and the record.
func simulate(t *testing.T, prof *scanner.Profiles, cands []scanner.Candidate, cfg scanner.PlannerConfig, cycles int,
	check func(c int, now time.Time, p *scanner.Plan, probed map[string]scanner.Probed)) {
	t.Helper()
	probed := map[string]scanner.Probed{}
	last := map[string]time.Time{}
	tier := map[string]riskmap.Tier{}
	for c := 0; c < cycles; c++ {
		now := t0.Add(time.Duration(c) * time.Hour)
		in := slices.Clone(cands)
		for i := range in {
			in[i].Probed = probed[in[i].AssetID]
			in[i].LastScanned, in[i].LastTier = last[in[i].AssetID], tier[in[i].AssetID]
		}
		p, err := scanner.NewPlan(now, in, cfg, prof)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("cycle %d: %v", c, err)
		}
		for _, it := range p.Items {
			probed[it.AssetID] = probed[it.AssetID].PaintList(it.Ports, now)
			last[it.AssetID], tier[it.AssetID] = now, it.Tier
		}
		check(c, now, p, probed)
	}
}

// TestSweepCoverageGuarantee is the property the sweep promises: for random estates, budgets,
// shares and block sizes, every TCP port of every asset is probed at least once in every
// window of Plan.Sweep.Period cycles (WidePeriod for wide-open assets).
func TestSweepCoverageGuarantee(t *testing.T) {
	prof := realProfiles(t)
	rng := rand.New(rand.NewPCG(10, 10))
	for trial := range 12 {
		n := 1 + rng.IntN(10)
		cands := randomCandidates(rng, n)
		ips := 0
		for i := range cands {
			cands[i].WideOpen = rng.IntN(3) == 0
			if cands[i].WideOpen && rng.IntN(2) == 0 { // a wide range only: the rest of its ports rotate with the others
				from := 1 + rng.IntN(60000)
				cands[i].WideRanges = [][2]int{{from, from + 1023 + rng.IntN(5000)}}
			}
			cands[i].LastScanned = time.Time{}
			ips += len(cands[i].IPs)
		}
		share := 0.2 + 0.5*rng.Float64()
		wide := rng.Float64()
		block := []int{256, 1024, 4096}[rng.IntN(3)]
		target := 2 + rng.IntN(12) // cycles a full rotation should take, roughly
		budget := int(float64(ips*65535)*1.2/float64(target)/share) + 1
		cfg := sweepConfig(budget, share, wide, block)
		t.Run(fmt.Sprintf("trial %d: %d assets, budget %d, sweep %.2f, wide %.2f, block %d", trial, n, budget, share, wide, block), func(t *testing.T) {
			var period, widePeriod int
			simulate(t, prof, cands, cfg, 3*target+4, func(c int, now time.Time, p *scanner.Plan, probed map[string]scanner.Probed) {
				if p.Sweep == nil {
					t.Fatalf("cycle %d: no sweep in the plan", c)
				}
				// The period a plan states is for the estate it saw: assets deep-scanned in one
				// cycle leave the sweep for it, so the longest period stated so far is the bound.
				if p.Sweep.Units > 0 && p.Sweep.Period <= 0 {
					t.Fatalf("cycle %d: no period stated: %+v", c, p.Sweep)
				}
				period, widePeriod = max(period, p.Sweep.Period), max(widePeriod, p.Sweep.WidePeriod)
				if period == 0 {
					return // every asset was deep-scanned so far
				}
				if p.Probes > p.Budget {
					t.Fatalf("cycle %d: %d probes over the budget %d", c, p.Probes, p.Budget)
				}
				for _, a := range cands {
					pd := period
					if a.WideOpen && len(a.WideRanges) == 0 && widePeriod > 0 {
						pd = widePeriod
					}
					if c+1 >= pd {
						since := now.Add(-time.Duration(pd-1) * time.Hour)
						if got := probed[a.AssetID].Covered(since); got != 65535 {
							t.Fatalf("cycle %d: %s (wide %v) has %d of 65535 ports probed in the last %d cycles (the stated period)", c, a.AssetID, a.WideOpen, got, pd)
						}
					}
					// A wide range: its own ports within the wide-open period, the rest within the general one.
					if len(a.WideRanges) > 0 && widePeriod > 0 && c+1 >= widePeriod {
						since := now.Add(-time.Duration(widePeriod-1) * time.Hour)
						for _, r := range a.WideRanges {
							for port := r[0]; port <= r[1]; port++ {
								if at, ok := probed[a.AssetID].Last(port); !ok || at.Before(since) {
									t.Fatalf("cycle %d: %s port %d of its wide range %v not probed in the last %d cycles (the wide-open period)", c, a.AssetID, port, r, widePeriod)
								}
							}
						}
					}
				}
			})
		})
	}
}

// TestSweepWideOpenFirst checks the order: with a budget that sweeps one asset's port space a
// cycle, the wide-open asset's whole range goes first, likeliest ports first, and the plan
// says so.
func TestSweepWideOpenFirst(t *testing.T) {
	prof := realProfiles(t)
	a := cand("i-a", 0.9, "10.0.0.1")
	b := cand("i-b", 0.1, "10.0.0.2")
	b.WideOpen = true
	cfg := sweepConfig(200_000, 0.5, 0.5, 4096)
	p, err := scanner.NewPlan(t0, []scanner.Candidate{a, b}, cfg, prof)
	if err != nil {
		t.Fatal(err)
	}
	var wide *scanner.PlanItem
	for i := range p.Items {
		if p.Items[i].AssetID == "i-b" {
			wide = &p.Items[i]
		}
	}
	if wide == nil || len(wide.Swept) < 4096 {
		t.Fatalf("the wide-open asset is not swept first: %+v", p.Items)
	}
	if _, ok := slices.BinarySearch(wide.Ports, 80); !ok {
		t.Errorf("port 80 (the likeliest) is not in the wide-open asset's first sweep")
	}
	if p.Sweep.WideAssets != 1 || p.Sweep.WidePeriod <= 0 || p.Sweep.WidePeriod > p.Sweep.Period {
		t.Errorf("sweep summary %+v: want one wide asset on a period no longer than the rest's", p.Sweep)
	}
	if p.Split.Sweep == 0 || p.Split.Sweep > p.Probes {
		t.Errorf("split %+v: want the sweep's probes", p.Split)
	}
}

// TestRecheckKnownSerious checks that an asset with known serious exposures, too low-valued
// for the greedy, is re-checked once its last scan is older than Recheck, and not before.
func TestRecheckKnownSerious(t *testing.T) {
	prof := realProfiles(t)
	cfg := testConfig(1_000)
	cfg.Recheck = 24 * time.Hour
	c := cand("i-serious", 0, "10.0.0.9")
	c.KnownSerious, c.PredictedPorts = []int{6379}, []int{6379}
	c.LastScanned, c.LastTier = t0.Add(-25*time.Hour), riskmap.TierStandard
	hot := cand("i-hot", 1, "10.0.0.10")
	p, err := scanner.NewPlan(t0, []scanner.Candidate{c, hot}, cfg, prof)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(p.Items, func(it scanner.PlanItem) bool { return it.AssetID == "i-serious" })
	if i < 0 || !p.Items[i].Recheck || !slices.Contains(p.Items[i].Ports, 6379) {
		t.Fatalf("no re-check of i-serious: %+v", p.Items)
	}
	if p.Split.Rechecks == 0 {
		t.Errorf("split %+v: want the re-check's probes", p.Split)
	}
	c.LastScanned = t0.Add(-time.Hour)
	p, err = scanner.NewPlan(t0, []scanner.Candidate{c, hot}, cfg, prof)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(p.Items, func(it scanner.PlanItem) bool { return it.Recheck }) {
		t.Errorf("re-checked an hour after the last scan: %+v", p.Items)
	}
}

func TestProbedPaint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		var p scanner.Probed
		model := map[int]time.Time{}
		for step := range 8 {
			from := 1 + rng.IntN(200)
			to := from + rng.IntN(60)
			at := t0.Add(time.Duration(rng.IntN(5)) * time.Hour)
			p = p.Paint(from, to, at)
			for port := from; port <= to; port++ {
				if old, ok := model[port]; !ok || at.After(old) {
					model[port] = at
				}
			}
			for port := 1; port <= 300; port++ {
				got, ok := p.Last(port)
				want, wok := model[port]
				if ok != wok || !got.Equal(want) {
					t.Fatalf("trial %d step %d: port %d: got %v %v, want %v %v (ranges %v)", trial, step, port, got, ok, want, wok, p)
				}
			}
			for i := 1; i < len(p); i++ {
				if p[i].From <= p[i-1].To {
					t.Fatalf("ranges overlap or are unsorted: %v", p)
				}
			}
		}
	}
	if got := (scanner.Probed{}).PaintList(scanner.PortList{1, 2, 3, 10}, t0); len(got) != 2 || got.Covered(t0) != 4 {
		t.Errorf("PaintList: %v", got)
	}
}

// BenchmarkNewPlanSweep is the planner with the port-space sweep on, against the same plan
// without it (the peer in the same run): the sweep's cost per asset.
func BenchmarkNewPlanSweep(b *testing.B) {
	profiles := realProfiles(b)
	cands := randomCandidates(rand.New(rand.NewPCG(1, 2)), 10_000)
	for i := range cands {
		cands[i].Probed = scanner.Probed{}.PaintList(profiles.Ports(riskmap.TierStandard, nil), t0.Add(-time.Hour))
	}
	for _, sweep := range []float64{0, 0.3} {
		b.Run(fmt.Sprintf("sweep=%.1f", sweep), func(b *testing.B) {
			cfg := sweepConfig(20_000_000, sweep, 0.7, 256)
			for b.Loop() {
				if _, err := scanner.NewPlan(t0, cands, cfg, profiles); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(cands))*float64(b.N)/b.Elapsed().Seconds(), "assets/s")
		})
	}
}

// TestSweepConfig reads the sweep's settings from YAML and refuses bad ones, naming the field.
func TestSweepConfig(t *testing.T) {
	c, err := scanner.ReadConfig(strings.NewReader("planner: {sweep: 0.4, sweep_wide: 0.5, sweep_block: 512, sweep_tier: light, recheck: 12h}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Planner
	if p.Sweep != 0.4 || p.SweepWide != 0.5 || p.SweepBlock != 512 || p.SweepTier != riskmap.TierLight || p.Recheck != 12*time.Hour {
		t.Fatalf("planner config %+v", p)
	}
	for _, tc := range []struct {
		name, field string
		edit        func(*scanner.PlannerConfig)
	}{
		{"sweep above 1", "sweep", func(c *scanner.PlannerConfig) { c.Sweep = 1.2 }},
		{"sweep and exploration reach 1", "sweep", func(c *scanner.PlannerConfig) { c.Sweep, c.Exploration = 0.6, 0.4 }},
		{"wide share negative", "sweep_wide", func(c *scanner.PlannerConfig) { c.SweepWide = -0.1 }},
		{"wide unlisted above 1", "wide_unlisted", func(c *scanner.PlannerConfig) { c.WideUnlisted = 1.5 }},
		{"wide first above 1", "sweep_wide_first", func(c *scanner.PlannerConfig) { c.SweepWideFirst = 1.5 }},
		{"negative fresh", "fresh", func(c *scanner.PlannerConfig) { c.Fresh = -time.Hour }},
		{"block too small", "sweep_block", func(c *scanner.PlannerConfig) { c.SweepBlock = 8 }},
		{"deep sweep tier", "sweep_tier", func(c *scanner.PlannerConfig) { c.SweepTier = riskmap.TierDeep }},
		{"negative recheck", "recheck", func(c *scanner.PlannerConfig) { c.Recheck = -time.Hour }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := scanner.DefaultPlannerConfig()
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), "planner."+tc.field) {
				t.Fatalf("got %v, want an error naming planner.%s", err, tc.field)
			}
		})
	}
}

// TestSweepRespectsQuietHours checks that an asset planned for its sweep alone gets no deeper a
// tier than quiet hours allow, and none at all when they allow no scan.
func TestSweepRespectsQuietHours(t *testing.T) {
	prof := realProfiles(t)
	for _, tc := range []struct {
		max  riskmap.Tier
		want riskmap.Tier
		item bool
	}{{riskmap.TierLight, riskmap.TierLight, true}, {riskmap.TierSkip, riskmap.TierSkip, false}} {
		cfg := sweepConfig(100_000, 0.3, 0.5, 256)
		cfg.QuietHours = []scanner.QuietHours{{From: "00:00", To: "23:59", MaxTier: tc.max}}
		c := cand("i-q", 0.5, "10.0.0.1")
		c.LastScanned, c.LastTier = t0.Add(-time.Hour), riskmap.TierDeep // every tier waits: sweep only
		p, err := scanner.NewPlan(t0.Add(time.Minute), []scanner.Candidate{c}, cfg, prof)
		if err != nil {
			t.Fatal(err)
		}
		if !tc.item {
			if len(p.Items) != 0 {
				t.Errorf("quiet hours allow no scan, yet the plan has %+v", p.Items)
			}
			continue
		}
		if len(p.Items) != 1 || p.Items[0].Tier != tc.want || len(p.Items[0].Swept) == 0 {
			t.Errorf("quiet hours cap %s: items %+v, want one sweep item at %s", tc.max, p.Items, tc.want)
		}
	}
}
