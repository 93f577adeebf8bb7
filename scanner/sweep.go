package scanner

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/riskmap/riskmap"
)

// Sweep is what a plan's port-space sweep does and what it guarantees.
//
// The sweep cuts each asset's TCP port space into blocks of Block ports, ranked by
// nmap-services' open-frequency (the likeliest ports form block 0), and takes whole blocks, the
// least recently probed first (never probed counts as oldest). The ports of wide-open assets
// that their rules open to the internet (every port, or wide ranges) rotate on their own
// share of the sweep, highest value first, block by block across as many cycles as they need;
// everything else rotates likeliest block first across all assets. Because every cycle takes
// the oldest blocks first and spends more than Share - (the dearest block) on them, a block
// waits at most ceil(cost of its class / (that spend)) cycles: Period for every port,
// WidePeriod for wide-open assets' exposed ports. The bound holds for the assets in scope when the plan was made, as long as the
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
	Period     int `json:"period"`
	WidePeriod int `json:"wide_period,omitempty"`
	WideAssets int `json:"wide_assets,omitempty"`
	// WideProbes is what this plan's sweep spends on wide-open assets, of which WideFirst went
	// to their never-swept blocks ahead of escalation (PlannerConfig.SweepWideFirst) and WideWon
	// was won from tier escalation on expected serious findings per probe
	// (PlannerConfig.WideUnlisted), both beyond the guaranteed share. WideCycles is the cycles
	// a full rotation of the wide-open assets' ranges takes at this plan's spend: the physical bound at this budget, not a
	// promise (the spend beyond the guaranteed share depends on what escalation offers).
	WideProbes int    `json:"wide_probes,omitempty"`
	WideFirst  int    `json:"wide_first,omitempty"`
	WideWon    int    `json:"wide_won,omitempty"`
	WideCycles int    `json:"wide_cycles,omitempty"`
	Note       string `json:"note,omitempty"`
}

// unit is one (asset, block) the sweep may take: a block's ports, or, on a wide-open asset
// whose rules open some ranges only, the part of a block inside them (a wide unit) or outside
// them (a unit of the general rotation).
type unit struct {
	k     int   // index in pl.cs
	block int   // index of the block in the port order
	list  []int // its ports
	wide  bool  // in the wide-open class
	age   int64 // unix nanoseconds of its least recent probe; math.MinInt64 never
	cost  int   // upper bound of its probes
}

// sweeper is the sweep's state while a plan is made: the units of each class in the order
// they are taken, how far each class got, and what the period math needs.
type sweeper struct {
	wide, rest       []unit
	wi, ri           int
	cWide, cRest     int
	maxWide, maxRest int
	wideAssets       int
	share, shareWide int
	unswept          map[int]int // wide-open asset (index in pl.cs) -> ports in its never-probed blocks
	widePorts        map[int]int // wide-open asset (index in pl.cs) -> ports in its wide class
	won              int         // probes the wide-open sweep won from escalation on value
	first            int         // probes wideFirst took, beyond the guaranteed share
	wideSpent        int         // probes the plan spends on wide-open assets' blocks so far
}

// prepareSweep cuts the in-scope assets' port spaces into units and orders each class.
func (pl *planner) prepareSweep() {
	block := pl.cfg.SweepBlock
	order := pl.profiles.order
	nBlocks := (len(order) + block - 1) / block
	sw := &sweeper{unswept: map[int]int{}, widePorts: map[int]int{}}
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
			sw.wideAssets++
		}
		for b := 0; b < nBlocks; b++ {
			ports := order[b*block : min((b+1)*block, len(order))]
			in, out := ports, []int(nil)
			if !k.c.WideOpen {
				in, out = nil, ports
			} else if len(k.c.WideRanges) > 0 && k.c.WideRanges[0] != [2]int{1, 65535} {
				in = nil
				for _, p := range ports {
					if slices.ContainsFunc(k.c.WideRanges, func(r [2]int) bool { return p >= r[0] && p <= r[1] }) {
						in = append(in, p)
					} else {
						out = append(out, p)
					}
				}
			}
			if len(in) > 0 {
				u := pl.newUnit(i, b, in, last)
				u.wide = true
				sw.wide = append(sw.wide, u)
				sw.cWide += u.cost
				sw.maxWide = max(sw.maxWide, u.cost)
				sw.widePorts[i] += len(in)
				if u.age == math.MinInt64 {
					sw.unswept[i] += len(in)
				}
			}
			if len(out) > 0 {
				u := pl.newUnit(i, b, out, last)
				sw.rest = append(sw.rest, u)
				sw.cRest += u.cost
				sw.maxRest = max(sw.maxRest, u.cost)
			}
		}
	}
	// Wide-open assets: the oldest first, then the most valuable asset, its likeliest block.
	slices.SortFunc(sw.wide, func(a, b unit) int {
		if a.age != b.age {
			return cmp.Compare(a.age, b.age)
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
	slices.SortFunc(sw.rest, func(a, b unit) int {
		if a.age != b.age {
			return cmp.Compare(a.age, b.age)
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
	pl.sw = sw
}

// newUnit is asset k's unit of block b holding ports, aged by last (each port's last probe).
func (pl *planner) newUnit(k, b int, ports []int, last []int64) unit {
	age := int64(math.MaxInt64)
	for _, p := range ports {
		age = min(age, last[p])
	}
	return unit{k: k, block: b, list: ports, age: age, cost: pl.sweepProbes(len(pl.cs[k].ips), len(ports))}
}

// sweepShares spends the sweep's guaranteed shares of the budget (cfg.Sweep of it, at most what
// the budget has left after re-checks): SweepWide of it on wide-open assets, as far as they
// need it, and the rest, at least (1 - SweepWide) of it, on the general rotation. The periods
// the plan states rest on these shares alone.
func (pl *planner) sweepShares() {
	sw := pl.sw
	sw.share = min(int(float64(pl.cfg.Budget)*pl.cfg.Sweep), pl.cfg.Budget-pl.spent)
	sw.shareWide = min(int(float64(sw.share)*pl.cfg.SweepWide), sw.cWide)
	// Each class takes its blocks in order and stops at the first that does not fit its
	// share: skipping ahead would let small blocks starve a large one.
	before := pl.spent
	sw.wi = pl.takeUnits(sw.wide, 0, pl.spent+sw.shareWide)
	sw.wideSpent = pl.spent - before
	sw.ri = pl.takeUnits(sw.rest, 0, pl.spent+sw.share-sw.shareWide)
}

// wideNext is the greedy's option of taking the wide-open sweep's next unit, if it gains
// anything and fits under limit; its ratio is Objective.SweepGain per probe. A block never
// probed holds its share of the asset's unlisted value spread over the ports nobody has looked
// at. A block swept before holds what may have opened there since: its share of that value
// spread over the asset's whole wide range, discounted as the knowledge of a scan is
// (PlannerConfig.Fresh: the age of its last probe over Fresh, at most 1). So once a wide-open
// range has been swept, re-sweeping it a day later still outranks escalating a low-risk asset,
// and re-sweeping it minutes later does not.
func (pl *planner) wideNext(limit int) (upgrade, bool) {
	sw := pl.sw
	if sw == nil || pl.cfg.WideUnlisted <= 0 {
		return upgrade{}, false
	}
	detection := pl.profiles.Profile(pl.cfg.SweepTier).Detection
	for sw.wi < len(sw.wide) {
		u := sw.wide[sw.wi]
		k := pl.cs[u.k]
		var g float64
		if u.age == math.MinInt64 {
			g = pl.cfg.Objective().SweepGain(k.value, detection, pl.cfg.WideUnlisted, len(u.list), sw.unswept[u.k])
		} else {
			g = pl.cfg.Objective().SweepGain(k.value, detection, pl.cfg.WideUnlisted, len(u.list), sw.widePorts[u.k]) * pl.staleness(u.age)
		}
		if g <= 0 {
			return upgrade{}, false
		}
		ok, netRefused := pl.fits(k, u.cost, limit)
		if !ok && netRefused {
			k.netLimited = true
			sw.wi++ // this network's cap, not the budget: the others go on
			continue
		}
		if !ok {
			return upgrade{}, false
		}
		return upgrade{k: -1, ratio: g / float64(u.cost), cost: u.cost}, true
	}
	return upgrade{}, false
}

// wideFirst sweeps wide-open assets' never-swept blocks ahead of the greedy: no rule keeps any
// port of such an asset from the internet, so what nobody has looked at there comes before a
// deeper look at what somebody has. It spends, on wide-open assets in all (their guaranteed
// share included), at most cfg.SweepWideFirst of the budget, and leaves the room that a first
// look (the light tier: predicted ports) at every asset not yet planned needs, so the cheapest
// serious findings stay first. That room covers exploration too, which gives unplanned assets
// their lightest tier.
func (pl *planner) wideFirst() {
	sw := pl.sw
	if pl.cfg.SweepWideFirst <= 0 || sw.wi >= len(sw.wide) {
		return
	}
	looks := 0
	for _, k := range pl.cs {
		if k.skip == "" && k.tier == riskmap.TierSkip && k.allowed[riskmap.TierLight] {
			looks += k.probes[riskmap.TierLight]
		}
	}
	most := pl.spent + int(float64(pl.cfg.Budget)*pl.cfg.SweepWideFirst) - sw.wideSpent
	end := sw.wi
	for end < len(sw.wide) && sw.wide[end].age == math.MinInt64 {
		end++
	}
	before := pl.spent
	sw.wi = pl.takeUnits(sw.wide[:end], sw.wi, min(most, pl.cfg.Budget-looks))
	sw.first += pl.spent - before
	sw.wideSpent += pl.spent - before
}

// staleness is the share of what a probe or scan at age (unix nanoseconds) learned that may
// have changed since: its age over cfg.Fresh, at most 1 (1 with Fresh off). Swept blocks
// (wideNext) and repeated tiers (freshness) age alike.
func (pl *planner) staleness(age int64) float64 {
	if pl.cfg.Fresh <= 0 {
		return 1
	}
	return min(max(float64(pl.now.UnixNano()-age)/float64(pl.cfg.Fresh), 0), 1)
}

// takeWide takes the wide-open sweep's next unit, which wideNext offered, if it still fits.
func (pl *planner) takeWide(limit int) {
	sw := pl.sw
	before := pl.spent
	sw.wi = pl.takeUnits(sw.wide[:sw.wi+1], sw.wi, limit)
	sw.won += pl.spent - before
	sw.wideSpent += pl.spent - before
}

// sweepRest spends what the budget has left, after the greedy and exploration, on both
// classes in order, and states what the sweep did and guarantees.
func (pl *planner) sweepRest() *Sweep {
	sw := pl.sw
	block := pl.cfg.SweepBlock
	// The sweep's shares were spent before the greedy chose tiers: an asset it then made deep
	// probes every port anyway, so its sweep is handed back for the rest to use.
	for _, k := range pl.cs {
		if k.tier == riskmap.TierDeep && k.sweepCost > 0 {
			pl.spent -= k.sweepCost
			if _, capped := pl.netLeft[k.c.Network]; capped {
				pl.netLeft[k.c.Network] += k.sweepCost
			}
			k.sweep, k.sweepCost, k.sweepBlocks, k.wideCost = nil, 0, 0, 0
		}
	}
	pl.takeUnits(sw.wide, sw.wi, pl.cfg.Budget)
	pl.takeUnits(sw.rest, sw.ri, pl.cfg.Budget)
	shareRest := sw.share - sw.shareWide
	s := &Sweep{Block: block, Share: sw.share, Units: len(sw.wide) + len(sw.rest), WideAssets: sw.wideAssets, WideWon: sw.won, WideFirst: sw.first}
	s.WidePeriod = period(sw.cWide, sw.shareWide, sw.maxWide)
	s.Period = max(period(sw.cRest, shareRest, sw.maxRest), s.WidePeriod)
	if want := int(float64(pl.cfg.Budget) * pl.cfg.Sweep); sw.share < want {
		s.Note = fmt.Sprintf("re-checks left the sweep %d probes of its share of %d", sw.share, want)
	}
	if s.Units > 0 && s.Period == 0 {
		s.Note = fmt.Sprintf("the sweep's share (%d probes) is below one block of the dearest asset: raise planner.budget or planner.sweep, or lower planner.sweep_block", sw.share)
	}
	for _, k := range pl.cs {
		if len(k.sweep) > 0 {
			s.Blocks += k.sweepBlocks
			s.Probes += k.sweepCost
			s.WideProbes += k.wideCost
		}
	}
	if s.WideProbes > 0 {
		s.WideCycles = (sw.cWide + s.WideProbes - 1) / s.WideProbes
	}
	return s
}

// takeUnits takes us[from:] in order while they fit under limit (and their network's cap) and
// returns the index of the first it did not take.
func (pl *planner) takeUnits(us []unit, from, limit int) int {
	for i := from; i < len(us); i++ {
		u := us[i]
		k := pl.cs[u.k]
		if k.tier == riskmap.TierDeep {
			continue // a deep scan probes every port anyway
		}
		ok, netRefused := pl.fits(k, u.cost, limit)
		if !ok {
			k.netLimited = k.netLimited || netRefused
			if netRefused {
				continue // this network's cap, not the budget: the others go on
			}
			return i
		}
		k.sweep = append(k.sweep, u.list...)
		k.sweepBlocks++
		k.sweepCost += u.cost
		if u.wide {
			k.wideCost += u.cost
		}
		pl.spent += u.cost
		if _, capped := pl.netLeft[k.c.Network]; capped {
			pl.netLeft[k.c.Network] -= u.cost
		}
	}
	return len(us)
}

// sweepProbes is what sweeping ports ports of an asset with ips addresses costs. A swept port
// costs what the light tier's ports cost (a SYN probe), whatever the item's tier: nmap runs
// version detection and scripts only on the ports it finds open, and ports that no list names
// are nearly all closed. The tier's own ports are priced by the tier (Profiles.Probes).
func (pl *planner) sweepProbes(ips, ports int) int {
	return int(math.Ceil(float64(ips*ports) * pl.profiles.Profile(riskmap.TierLight).Factor))
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

// sweepNote is the reason a plan item gives for its sweep ports.
func sweepNote(k *cand, block int) string {
	who := "port-space sweep"
	if k.c.WideOpen {
		who = "port-space sweep of a wide-open asset"
	}
	return fmt.Sprintf("%s: %d block(s) of %d ports, the least recently probed", who, k.sweepBlocks, block)
}
