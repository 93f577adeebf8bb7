package scanner_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
)

// TestSweepWideWinsOverLowRiskEscalation checks the budget by value: beyond its guaranteed
// share, a high-risk wide-open asset's never-swept blocks win the budget over the light to
// standard escalation of a low-risk asset, and with WideUnlisted 0 the escalation wins it back.
func TestSweepWideWinsOverLowRiskEscalation(t *testing.T) {
	prof := realProfiles(t)
	low := cand("i-web", 0.02, "10.0.0.1")
	low.PredictedPorts = []int{22, 443}
	wide := cand("i-db", 0.9, "10.0.0.2")
	wide.WideOpen = true
	cfg := sweepConfig(6_000, 0.3, 0.7, 256)
	cfg.Exploration, cfg.SweepWideFirst = 0, 0 // the competition on value alone

	plan := func(unlisted float64) *scanner.Plan {
		t.Helper()
		c := cfg
		c.WideUnlisted = unlisted
		return validPlan(t, prof, c, low, wide)
	}

	byValue := plan(1)
	if got := tierOf(byValue, "i-web"); got != riskmap.TierLight {
		t.Errorf("low-risk asset at %s, want light: the wide-open sweep should have won the rest", got)
	}
	guaranteed := int(float64(cfg.Budget) * cfg.Sweep * cfg.SweepWide)
	if byValue.Sweep.WideWon == 0 || byValue.Sweep.WideProbes <= guaranteed {
		t.Errorf("sweep %+v: want the wide-open asset to win probes beyond its guaranteed %d", byValue.Sweep, guaranteed)
	}
	if byValue.Sweep.WideCycles <= 0 {
		t.Errorf("sweep %+v: want the cycles a wide-open rotation takes at this spend", byValue.Sweep)
	}

	fixed := plan(0)
	if got := tierOf(fixed, "i-web"); got != riskmap.TierStandard {
		t.Errorf("with wide_unlisted 0 the low-risk asset is at %s, want standard (escalation takes the rest)", got)
	}
	if fixed.Sweep.WideWon != 0 || fixed.Sweep.WideProbes >= byValue.Sweep.WideProbes {
		t.Errorf("with wide_unlisted 0: sweep %+v, want no probes won and fewer than %d for wide-open assets", fixed.Sweep, byValue.Sweep.WideProbes)
	}
	// The stated periods rest on the guaranteed shares alone, so they do not change.
	if byValue.Sweep.Period != fixed.Sweep.Period || byValue.Sweep.WidePeriod != fixed.Sweep.WidePeriod {
		t.Errorf("periods %d/%d by value, %d/%d fixed: want the same", byValue.Sweep.Period, byValue.Sweep.WidePeriod, fixed.Sweep.Period, fixed.Sweep.WidePeriod)
	}
}

// TestFreshDiscountsRepeatedEscalation checks planner.fresh: an asset of modest risk scanned at
// standard ten minutes ago is not escalated to standard again while a wide-open asset has
// never-swept ports; with the discount off, it is.
func TestFreshDiscountsRepeatedEscalation(t *testing.T) {
	prof := realProfiles(t)
	web := cand("i-web", 0.3, "10.0.0.1")
	web.PredictedPorts = []int{22, 443}
	web.LastScanned, web.LastTier = t0.Add(-10*time.Minute), riskmap.TierStandard
	wide := cand("i-db", 0.9, "10.0.0.2")
	wide.WideOpen = true
	// Scanned at light since: the standard scan before it is what counts.
	lightSince := web
	lightSince.LastScanned, lightSince.LastTier = t0.Add(-5*time.Minute), riskmap.TierLight
	lightSince.LastAtTier[riskmap.TierLight] = lightSince.LastScanned
	lightSince.LastAtTier[riskmap.TierStandard] = t0.Add(-10 * time.Minute)
	for _, tc := range []struct {
		name  string
		web   scanner.Candidate
		fresh time.Duration
		want  riskmap.Tier
	}{
		{"fresh 24h", web, 24 * time.Hour, riskmap.TierLight},
		{"fresh off", web, 0, riskmap.TierStandard},
		{"light scan since the standard one", lightSince, 24 * time.Hour, riskmap.TierLight},
	} {
		web := tc.web
		t.Run(tc.name, func(t *testing.T) {
			cfg := sweepConfig(6_000, 0.3, 0.7, 256)
			cfg.Exploration, cfg.Fresh, cfg.MinRescan, cfg.SweepWideFirst = 0, tc.fresh, nil, 0
			p, err := scanner.NewPlan(t0, []scanner.Candidate{web, wide}, cfg, prof)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(p.Items, func(it scanner.PlanItem) bool { return it.AssetID == "i-web" })
			if i < 0 {
				t.Fatalf("i-web not planned: %+v", p.Items)
			}
			if got := p.Items[i].Tier; got != tc.want {
				t.Errorf("i-web at %s, want %s (sweep %+v)", got, tc.want, *p.Sweep)
			}
		})
	}
}

// TestSweepWideFirst checks planner.sweep_wide_first: a wide-open asset's never-swept blocks
// are swept ahead of escalation, within the cap, after a first look at every asset; once its
// whole range has been swept they go back to the rotation; with the cap 0 escalation wins.
func TestSweepWideFirst(t *testing.T) {
	prof := realProfiles(t)
	var cands []scanner.Candidate
	for i := 0; i < 20; i++ {
		c := cand(fmt.Sprintf("i-web-%02d", i), 0.6, fmt.Sprintf("10.0.0.%d", i+1))
		c.PredictedPorts = []int{22, 443}
		cands = append(cands, c)
	}
	wide := cand("i-wide", 0.3, "10.0.1.1")
	wide.WideOpen = true
	cands = append(cands, wide)
	const budget = 40_000 // light for all (~2,100), standard for all (~24,000), one range (65,535): not all of it
	plan := func(first float64, cs []scanner.Candidate) *scanner.Plan {
		t.Helper()
		cfg := sweepConfig(budget, 0.3, 0.7, 256)
		cfg.SweepWideFirst, cfg.WideUnlisted = first, 0
		p := validPlan(t, prof, cfg, cs...)
		if p.Probes > budget {
			t.Fatalf("plan probes %d above the budget %d", p.Probes, budget)
		}
		sp := p.Split
		if sum := sp.Predicted + sp.Rechecks + sp.FirstLooks + sp.Escalation + sp.Exploration + sp.Sweep; sum != p.Probes || sp.FirstLooks == 0 {
			t.Errorf("split %+v sums to %d, want the plan's %d probes, first looks among them", sp, sum, p.Probes)
		}
		return p
	}
	tiers := func(p *scanner.Plan) (light, standard int) {
		for _, it := range p.Items {
			switch {
			case it.AssetID == "i-wide":
			case it.Tier == riskmap.TierLight:
				light++
			case it.Tier >= riskmap.TierStandard:
				standard++
			}
		}
		return light, standard
	}

	p := plan(0.8, cands)
	light, standard := tiers(p)
	if light+standard != 20 {
		t.Errorf("%d of 20 assets planned: the first looks must come before the wide-open sweep", light+standard)
	}
	if p.Sweep.WideFirst == 0 {
		t.Fatalf("sweep %+v: want the wide-open asset's never-swept blocks taken first", *p.Sweep)
	}
	if max := int(0.8 * budget); p.Sweep.WideProbes > max {
		t.Errorf("wide-open sweep %d probes, above the cap of %d", p.Sweep.WideProbes, max)
	}
	off := plan(0, cands)
	_, standardOff := tiers(off)
	if off.Split.Escalation <= p.Split.Escalation {
		t.Errorf("escalation %d probes with cap 0, %d with cap 0.8: want more without the cap", off.Split.Escalation, p.Split.Escalation)
	}
	if standardOff <= standard || off.Sweep.WideProbes >= p.Sweep.WideProbes {
		t.Errorf("cap 0: %d escalated and %d wide probes; cap 0.8: %d escalated and %d wide probes: want escalation to win without the cap",
			standardOff, off.Sweep.WideProbes, standard, p.Sweep.WideProbes)
	}

	// Swept once, every port, an hour ago: nothing is never-swept, so nothing goes first.
	swept := slices.Clone(cands)
	swept[len(swept)-1].Probed = scanner.Probed{}.Paint(1, 65535, t0.Add(-time.Hour))
	again := plan(0.8, swept)
	if again.Sweep.WideFirst != 0 {
		t.Errorf("swept once: %d probes went first, want 0 (the rotation's share takes it)", again.Sweep.WideFirst)
	}
}

// TestSweepWideRange checks that an asset whose rules open one wide range (not every port) has
// that range swept first and whole, and that only the range counts as its wide-open sweep: its
// other ports rotate with every other asset's.
func TestSweepWideRange(t *testing.T) {
	prof := realProfiles(t)
	var cands []scanner.Candidate
	for i := 0; i < 5; i++ {
		c := cand(fmt.Sprintf("i-web-%d", i), 0.5, fmt.Sprintf("10.0.0.%d", i+1))
		c.PredictedPorts = []int{22, 443}
		cands = append(cands, c)
	}
	ranged := cand("i-range", 0.4, "10.0.1.1")
	ranged.WideOpen, ranged.WideRanges = true, [][2]int{{30000, 39999}}
	cands = append(cands, ranged)
	cfg := sweepConfig(40_000, 0.3, 0.7, 256)
	cfg.WideUnlisted = 0
	p, err := scanner.NewPlan(t0, cands, cfg, prof)
	if err != nil {
		t.Fatal(err)
	}
	if p.Sweep.WideProbes != 10_000 || p.Sweep.WideCycles != 1 {
		t.Errorf("sweep %+v: want the 10,000 ports of the range alone as the wide-open sweep, in one cycle", *p.Sweep)
	}
	i := slices.IndexFunc(p.Items, func(it scanner.PlanItem) bool { return it.AssetID == "i-range" })
	if i < 0 {
		t.Fatalf("i-range not planned: %+v", p.Items)
	}
	for port := 30000; port <= 39999; port++ {
		if _, ok := slices.BinarySearch(p.Items[i].Ports, port); !ok {
			t.Fatalf("port %d of the wide range is not in the plan", port)
		}
	}
}

// TestSweepWideStaleWinsOverLowRiskEscalation checks the re-sweep by value: once a wide-open
// asset's whole range has been swept, its blocks swept a day or more ago still win the budget
// over the escalation of a low-risk asset (what may have opened there since), while blocks
// swept minutes ago come after it (Fresh discounts them as it discounts a repeated scan).
func TestSweepWideStaleWinsOverLowRiskEscalation(t *testing.T) {
	prof := realProfiles(t)
	low := cand("i-web", 0.02, "10.0.0.1")
	low.PredictedPorts = []int{22, 443}
	cfg := sweepConfig(6_000, 0.3, 0.7, 256)
	cfg.Exploration, cfg.SweepWideFirst, cfg.MinRescan = 0, 0, nil

	plan := func(swept time.Duration, fresh time.Duration) *scanner.Plan {
		t.Helper()
		wide := cand("i-db", 0.9, "10.0.0.2")
		wide.WideOpen = true
		wide.Probed = scanner.Probed{}.Paint(1, 65535, t0.Add(-swept))
		wide.LastScanned, wide.LastTier = t0.Add(-swept), riskmap.TierStandard
		c := cfg
		c.Fresh = fresh
		return validPlan(t, prof, c, low, wide)
	}
	guaranteed := int(float64(cfg.Budget) * cfg.Sweep * cfg.SweepWide)

	stale := plan(48*time.Hour, 24*time.Hour)
	t.Logf("swept two days ago: split %s; wide-open probes %d, won %d", stale.Split, stale.Sweep.WideProbes, stale.Sweep.WideWon)
	if got := tierOf(stale, "i-web"); got != riskmap.TierLight {
		t.Errorf("swept two days ago: low-risk asset at %s, want light (the re-sweep should have won the rest)", got)
	}
	if stale.Sweep.WideWon == 0 || stale.Sweep.WideProbes <= guaranteed {
		t.Errorf("swept two days ago: sweep %+v, want probes won beyond the guaranteed %d", *stale.Sweep, guaranteed)
	}

	fresh := plan(10*time.Minute, 24*time.Hour)
	t.Logf("swept ten minutes ago: split %s; wide-open probes %d, won %d", fresh.Split, fresh.Sweep.WideProbes, fresh.Sweep.WideWon)
	if got := tierOf(fresh, "i-web"); got != riskmap.TierStandard {
		t.Errorf("swept ten minutes ago: low-risk asset at %s, want standard (a fresh sweep gains little)", got)
	}
	if fresh.Sweep.WideProbes >= stale.Sweep.WideProbes {
		t.Errorf("swept ten minutes ago: %d probes on the wide-open asset, want fewer than the %d when swept two days ago (escalation first)", fresh.Sweep.WideProbes, stale.Sweep.WideProbes)
	}

	// With Fresh off, knowledge never ages out and every block is worth a re-sweep.
	if off := plan(10*time.Minute, 0); off.Sweep.WideWon == 0 {
		t.Errorf("fresh off: sweep %+v, want the re-sweep to win", *off.Sweep)
	}
	// The stated periods rest on the guaranteed shares alone.
	if stale.Sweep.WidePeriod != fresh.Sweep.WidePeriod || stale.Sweep.Period != fresh.Sweep.Period {
		t.Errorf("periods %d/%d stale, %d/%d fresh: want the same", stale.Sweep.Period, stale.Sweep.WidePeriod, fresh.Sweep.Period, fresh.Sweep.WidePeriod)
	}
}

// validPlan is the plan of cands under cfg, which must pass Plan.Validate.
func validPlan(t *testing.T, prof *scanner.Profiles, cfg scanner.PlannerConfig, cands ...scanner.Candidate) *scanner.Plan {
	t.Helper()
	p, err := scanner.NewPlan(t0, cands, cfg, prof)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p
}
