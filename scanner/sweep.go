package scanner

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/riskmap/riskmap"
)

// Sweep is what a plan's port-space sweep does and what it guarantees.
//
// The sweep cuts each asset's TCP port space into blocks of Block ports, ranked by
// nmap-services' open-frequency (the likeliest ports form block 0), and takes whole blocks, the
// least recently probed first (never probed counts as oldest). Wide-open assets (rules that
// open every port, or wide ranges, to the internet) rotate on their own share of the sweep,
// highest value first, each swept block by block across as many cycles as it needs; the rest
// rotate likeliest block first across all assets. Because every cycle takes the oldest blocks
// first and spends more than Share - (the dearest block) on them, a block waits at most
// ceil(cost of its class / (that spend)) cycles: Period for the rest, WidePeriod for wide-open
// assets. The bound holds for the assets in scope when the plan was made, as long as the
// budget and the estate stay as they are; scans of other tiers only make blocks fresher.
type Sweep struct {
	Block int `json:"block"`
	// Probes is what the plan's sweep costs; Share the budget it was guaranteed (at least).
	Probes int `json:"probes"`
	Share  int `json:"share"`
	// Blocks is how many (asset, block) units the plan sweeps, of Units in scope.
	Blocks int `json:"blocks"`
	Units  int `json:"units"`
	// Period is the guarantee in cycles: every TCP port of every in-scope asset is probed at
	// least once every Period cycles (0: the budget cannot guarantee it; see Note).
	// WidePeriod is the same for wide-open assets, of which there are WideAssets.
	Period     int    `json:"period"`
	WidePeriod int    `json:"wide_period,omitempty"`
	WideAssets int    `json:"wide_assets,omitempty"`
	Note       string `json:"note,omitempty"`
}

// unit is one (asset, block) the sweep may take.
type unit struct {
	k     int   // index in pl.cs
	block int   // index of the block in the port order
	age   int64 // unix nanoseconds of the block's least recent probe; math.MinInt64 never
	cost  int   // upper bound of its probes
}

// sweep spends its share of the budget (cfg.Sweep of it), and then whatever the budget has
// left, on the least recently probed blocks of the port space. The period it states rests on
// the share alone: what is left over from one cycle to the next is not promised.
func (pl *planner) sweep() *Sweep {
	share := min(int(float64(pl.cfg.Budget)*pl.cfg.Sweep), pl.cfg.Budget-pl.spent)
	block := pl.cfg.SweepBlock
	order := pl.profiles.order
	nBlocks := (len(order) + block - 1) / block
	factor := max(pl.profiles.Profile(riskmap.TierLight).Factor, pl.profiles.Profile(riskmap.TierStandard).Factor)
	var wide, rest []unit
	var cWide, cRest, maxWide, maxRest int
	wideAssets := 0
	last := make([]int64, 65536)
	for i, k := range pl.cs {
		if len(k.ips) == 0 || k.skip == SkipQuietHours || k.tier == riskmap.TierDeep {
			continue // a deep scan probes every port anyway
		}
		if limit, _ := pl.quietCap(k.c.Tags); limit == riskmap.TierSkip {
			continue
		}
		for p := range last {
			last[p] = math.MinInt64
		}
		for _, r := range k.c.Probed {
			for p := max(r.From, 1); p <= min(r.To, 65535); p++ {
				last[p] = r.At.UnixNano()
			}
		}
		if k.c.WideOpen {
			wideAssets++
		}
		for b := 0; b < nBlocks; b++ {
			ports := order[b*block : min((b+1)*block, len(order))]
			age := int64(math.MaxInt64)
			for _, p := range ports {
				age = min(age, last[p])
			}
			u := unit{k: i, block: b, age: age, cost: int(math.Ceil(float64(len(k.ips)*len(ports)) * factor))}
			if k.c.WideOpen {
				wide = append(wide, u)
				cWide += u.cost
				maxWide = max(maxWide, u.cost)
			} else {
				rest = append(rest, u)
				cRest += u.cost
				maxRest = max(maxRest, u.cost)
			}
		}
	}
	// Wide-open assets: the oldest first, then the most valuable asset, its likeliest block.
	slices.SortFunc(wide, func(a, b unit) int {
		if a.age != b.age {
			return cmpInt64(a.age, b.age)
		}
		if va, vb := pl.cs[a.k].value, pl.cs[b.k].value; va != vb {
			if va > vb {
				return -1
			}
			return 1
		}
		if a.k != b.k {
			return a.k - b.k
		}
		return a.block - b.block
	})
	// The rest: the oldest first, then the likeliest block across all assets.
	slices.SortFunc(rest, func(a, b unit) int {
		if a.age != b.age {
			return cmpInt64(a.age, b.age)
		}
		if a.block != b.block {
			return a.block - b.block
		}
		if va, vb := pl.cs[a.k].value, pl.cs[b.k].value; va != vb {
			if va > vb {
				return -1
			}
			return 1
		}
		return a.k - b.k
	})
	shareWide := min(int(float64(share)*pl.cfg.SweepWide), cWide)
	shareRest := share - shareWide
	s := &Sweep{Block: block, Share: share, Units: len(wide) + len(rest), WideAssets: wideAssets}
	s.WidePeriod = period(cWide, shareWide, maxWide)
	s.Period = max(period(cRest, shareRest, maxRest), s.WidePeriod)
	if want := int(float64(pl.cfg.Budget) * pl.cfg.Sweep); share < want {
		s.Note = fmt.Sprintf("re-checks and exploration left the sweep %d probes of its share of %d", share, want)
	}
	if s.Units > 0 && s.Period == 0 {
		s.Note = fmt.Sprintf("the sweep's share (%d probes) is below one block of the dearest asset: raise planner.budget or planner.sweep, or lower planner.sweep_block", share)
	}
	before := pl.spent
	// Each class takes its blocks in order and stops at the first that does not fit its
	// share: skipping ahead would let small blocks starve a large one. What is left of the
	// budget then goes on in the same order.
	wi := pl.takeUnits(wide, 0, before+shareWide)
	ri := pl.takeUnits(rest, 0, pl.spent+shareRest)
	pl.takeUnits(wide, wi, pl.cfg.Budget)
	pl.takeUnits(rest, ri, pl.cfg.Budget)
	for _, k := range pl.cs {
		if len(k.sweep) > 0 {
			s.Blocks += k.sweepBlocks
			s.Probes += k.sweepCost
		}
	}
	return s
}

// takeUnits takes us[from:] in order while they fit under limit (and their network's cap) and
// returns the index of the first it did not take.
func (pl *planner) takeUnits(us []unit, from, limit int) int {
	block := pl.cfg.SweepBlock
	order := pl.profiles.order
	for i := from; i < len(us); i++ {
		u := us[i]
		k := pl.cs[u.k]
		ok, netRefused := pl.fits(k, u.cost, limit)
		if !ok {
			k.netLimited = k.netLimited || netRefused
			if netRefused {
				continue // this network's cap, not the budget: the others go on
			}
			return i
		}
		ports := order[u.block*block : min((u.block+1)*block, len(order))]
		k.sweep = append(k.sweep, ports...)
		k.sweepBlocks++
		k.sweepCost += u.cost
		pl.spent += u.cost
		if _, capped := pl.netLeft[k.c.Network]; capped {
			pl.netLeft[k.c.Network] -= u.cost
		}
	}
	return len(us)
}

// period is the guarantee of a class that costs total probes per full rotation and gets share
// probes a cycle, its dearest block costing dearest: each cycle spends more than share -
// dearest on the oldest blocks.
func period(total, share, dearest int) int {
	if total == 0 {
		return 0
	}
	per := share - dearest + 1
	if per <= 0 {
		return 0
	}
	return (total + per - 1) / per
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// recheck puts every asset with known serious exposures whose last scan is older than
// cfg.Recheck at the light tier (its predicted ports include every port it was seen to
// open), before anything else: is it still open, or fixed?
func (pl *planner) recheck() {
	if pl.cfg.Recheck <= 0 {
		return
	}
	for _, k := range pl.cs {
		if len(k.c.KnownSerious) == 0 || len(k.ips) == 0 || k.tier != riskmap.TierSkip {
			continue
		}
		if !k.c.LastScanned.IsZero() && pl.now.Sub(k.c.LastScanned) < pl.cfg.Recheck {
			continue
		}
		if limit, _ := pl.quietCap(k.c.Tags); limit < riskmap.TierLight {
			continue
		}
		if ok, _ := pl.fits(k, k.probes[riskmap.TierLight], pl.cfg.Budget); !ok {
			continue
		}
		pl.take(k, riskmap.TierLight)
		k.recheck = true
		if k.skip == SkipMinRescan {
			k.skip = ""
		}
	}
}

// Split is how a plan's probes divide among what they are for.
type Split struct {
	// Predicted is what predicted ports add to the tiers' own lists; Rechecks the light scans
	// of assets with known serious exposures; Escalation the rest of the tiers the scores
	// chose; Exploration the assets drawn for exploration; Sweep the port-space sweep.
	Predicted   int `json:"predicted"`
	Rechecks    int `json:"rechecks"`
	Escalation  int `json:"escalation"`
	Exploration int `json:"exploration"`
	Sweep       int `json:"sweep"`
}

// String is the split as one line, in probes and shares of the total.
func (s Split) String() string {
	total := s.Predicted + s.Rechecks + s.Escalation + s.Exploration + s.Sweep
	if total == 0 {
		return "no probes"
	}
	var b strings.Builder
	for i, part := range []struct {
		name string
		n    int
	}{{"predicted ports", s.Predicted}, {"re-checks", s.Rechecks}, {"escalation", s.Escalation}, {"exploration", s.Exploration}, {"sweep", s.Sweep}} {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d (%.0f%%)", part.name, part.n, 100*float64(part.n)/float64(total))
	}
	return b.String()
}

// sweepNote is the reason a plan item gives for its sweep ports.
func sweepNote(k *cand, block int) string {
	who := "port-space sweep"
	if k.c.WideOpen {
		who = "port-space sweep of a wide-open asset"
	}
	return fmt.Sprintf("%s: %d block(s) of %d ports, the least recently probed", who, k.sweepBlocks, block)
}
