// Over 400 lines: the planner's one greedy (re-checks, guaranteed sweep shares, tiers by
// value, exploration, the sweep's remainder) works on shared state that reads best together.

package scanner

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
)

// Candidate is one asset the planner may scan, with what the models say of it.
type Candidate struct {
	AssetID string
	IPs     []netip.Addr
	Network string
	Tags    map[string]string
	// Risk is the probability of a serious finding at the next deep scan; Anomaly how strange
	// the asset looks against its baseline. Both in [0, 1].
	Risk, Anomaly  float32
	PredictedPorts []int
	LastScanned    time.Time // zero: never scanned
	LastTier       riskmap.Tier
	// LastAtTier is when a scan of each tier or deeper last ran on the asset (zero: never or
	// unknown, when LastScanned and LastTier stand for it); PlannerConfig.Fresh reads it.
	LastAtTier [riskmap.TierDeep + 1]time.Time
	Reasons    []string
	// WideOpen marks an asset whose rules open every TCP port, or wide ranges, to the
	// internet: the sweep covers its whole port range first and on a faster rotation.
	WideOpen bool
	// WideRanges are the TCP ranges a wide-open asset's rules open to the internet
	// (riskmap.Asset.WideRanges): the sweep takes those first and leaves its other ports to
	// the general rotation. Empty with WideOpen means every port.
	WideRanges [][2]int
	// Probed is when each TCP port was last probed (the workspace's coverage table); the
	// sweep takes the least recently probed ports first.
	Probed Probed
	// KnownSerious lists the ports of the asset's known serious exposures; with
	// PlannerConfig.Recheck they are re-checked on a schedule.
	KnownSerious []int
	// PortReasons says, for ports the planner was given (predicted ports), why each is there;
	// the plan's Explain reads it.
	PortReasons map[int]string
}

// NewPlan chooses a tier for every candidate so that the plan's expected serious findings
// per probe are as high as the budget allows, keeps cfg.Exploration of the budget for
// low-scored and long-unscanned assets, and respects rescan intervals, quiet hours and
// per-network caps. It is deterministic for a given input and cfg.Seed.
//
// The expected serious findings of an asset at tier t are
//
//	value x Detection(t) x (share + (1 - share) x Coverage(t))
//
// where value = Risk + AnomalyWeight x Anomaly x (1 - Risk) (the Objective), share is PredictedShare when the
// asset has predicted ports (every tier scans them) and 0 otherwise, and Coverage is the
// share of nmap's open-frequency the tier's own list covers. Tiers are chosen greedily by
// marginal expected findings per marginal probe (skip to light, light to deep, ...), which is
// the classic greedy for a multiple-choice knapsack.
//
// It proceeds in six steps: re-checks of assets with known serious exposures (see
// PlannerConfig.Recheck); the port-space sweep's guaranteed shares (see Sweep), on which the
// periods it states rest; wide-open assets' never-swept blocks, first, as far as
// PlannerConfig.SweepWideFirst and the first looks at every asset leave room; the greedy over (1 - Exploration) of the budget, in which a wide-open
// asset's blocks (never swept, or swept before and aged by Fresh) compete with tier upgrades on
// expected serious findings per probe (Objective.SweepGain, PlannerConfig.WideUnlisted); exploration, which draws assets still
// unplanned at random (seeded), weighted towards low value and long time since the last scan,
// and gives each its lightest allowed tier within the exploration share; the greedy again over
// the whole budget; and last the sweep's rotation over whatever is left.
func NewPlan(now time.Time, cands []Candidate, cfg PlannerConfig, profiles *Profiles) (*Plan, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if profiles == nil {
		return nil, fmt.Errorf("plan: no profiles given")
	}
	rules, err := cfg.quietRules()
	if err != nil {
		return nil, err
	}
	pl := &planner{cfg: cfg, now: now, profiles: profiles, rules: rules, netLeft: map[string]int{}}
	for net, rate := range cfg.NetworkRate {
		pl.netLeft[net] = int(min(float64(rate)*cfg.Window.Seconds(), float64(math.MaxInt/2)))
	}
	if err := pl.load(cands); err != nil {
		return nil, err
	}
	explore := int(float64(cfg.Budget) * cfg.Exploration)
	pl.recheck()
	if cfg.Sweep > 0 {
		pl.prepareSweep()
		pl.sweepShares()
		pl.wideFirst()
	}
	pl.greedy(cfg.Budget - explore)
	pl.explore(explore)
	pl.greedy(cfg.Budget)
	var sw *Sweep
	if pl.sw != nil {
		sw = pl.sweepRest()
	}
	p := pl.plan()
	p.Sweep = sw
	return p, nil
}

type planner struct {
	cfg      PlannerConfig
	now      time.Time
	profiles *Profiles
	rules    []quietRule
	netLeft  map[string]int // probes left per capped network
	spent    int
	cs       []*cand
	sw       *sweeper // nil without a sweep
}

type cand struct {
	c           Candidate
	ips         []netip.Addr
	value       float64
	tier        riskmap.Tier
	allowed     [riskmap.TierDeep + 1]bool
	gain        [riskmap.TierDeep + 1]float64
	probes      [riskmap.TierDeep + 1]int
	explore     bool
	skip        string // a Skip reason decided at load time
	netLimited  bool
	quietNote   string
	recheck     bool  // given light first as a re-check of known serious exposures
	sweep       []int // the sweep's ports, unsorted
	sweepCost   int   // the sweep's probes as budgeted (an upper bound)
	wideCost    int   // of which on the wide-open class (a wide-open asset's exposed ranges)
	sweepBlocks int
	fresh       [riskmap.TierDeep + 1]float64 // > 0 and < 1: the tier's gain beyond light was discounted (see Fresh)
}

func (pl *planner) load(in []Candidate) error {
	sorted := slices.Clone(in)
	slices.SortStableFunc(sorted, func(a, b Candidate) int { return strings.Compare(a.AssetID, b.AssetID) })
	for i, c := range sorted {
		if c.AssetID == "" {
			return fmt.Errorf("plan: candidate with no asset id (addresses %v)", c.IPs)
		}
		if i > 0 && sorted[i-1].AssetID == c.AssetID {
			return fmt.Errorf("plan: candidate %q appears twice", c.AssetID)
		}
		for name, v := range map[string]float32{"risk": c.Risk, "anomaly": c.Anomaly} {
			if !(v >= 0 && v <= 1) {
				return fmt.Errorf("plan: candidate %q: %s %v: want a number in [0, 1]", c.AssetID, name, v)
			}
		}
		if c.LastTier < riskmap.TierSkip || c.LastTier > riskmap.TierDeep {
			return fmt.Errorf("plan: candidate %q: last tier %d: want skip, light, standard or deep", c.AssetID, int(c.LastTier))
		}
		pl.cs = append(pl.cs, pl.newCand(c))
	}
	return nil
}

func (pl *planner) newCand(c Candidate) *cand {
	k := &cand{c: c}
	seen := map[netip.Addr]bool{}
	for _, a := range c.IPs {
		if a = a.Unmap(); a.IsValid() && !seen[a] {
			seen[a] = true
			k.ips = append(k.ips, a)
		}
	}
	slices.SortFunc(k.ips, netip.Addr.Compare)
	if len(k.ips) == 0 {
		k.skip = SkipNoAddress
		return k
	}
	obj := pl.cfg.Objective()
	k.value = obj.Value(c.Risk, c.Anomaly)
	quietCap, note := pl.quietCap(c.Tags)
	k.quietNote = note
	quietOnly := false
	for t := riskmap.TierLight; t <= riskmap.TierDeep; t++ {
		rescanOK := pl.rescanOK(c, t)
		k.allowed[t] = rescanOK && t <= quietCap
		quietOnly = quietOnly || (rescanOK && t > quietCap)
		k.probes[t] = pl.profiles.Probes(t, len(k.ips), pl.profiles.PortCount(t, c.PredictedPorts), len(pl.profiles.UDPPorts(t)))
		share := 0.0
		if len(c.PredictedPorts) > 0 && pl.profiles.Profile(t).Predicted {
			share = pl.cfg.PredictedShare
		}
		k.gain[t] = obj.Gain(k.value, pl.profiles.Profile(t).Detection, share, pl.profiles.Coverage(t))
	}
	for t := riskmap.TierStandard; t <= riskmap.TierDeep; t++ {
		if f := pl.freshness(c, t); f < 1 {
			k.gain[t] = k.gain[riskmap.TierLight] + f*(k.gain[t]-k.gain[riskmap.TierLight])
			k.fresh[t] = f
		}
	}
	if !k.allowed[riskmap.TierLight] && !k.allowed[riskmap.TierStandard] && !k.allowed[riskmap.TierDeep] {
		k.skip = SkipMinRescan
		if quietOnly {
			k.skip = SkipQuietHours
		}
	}
	return k
}

// freshness is the share of tier t's gain beyond light that is still unknown: the age of the
// last scan at t or deeper over cfg.Fresh, at most 1 (1 with no such scan or Fresh off).
func (pl *planner) freshness(c Candidate, t riskmap.Tier) float64 {
	at := c.LastAtTier[t]
	if at.IsZero() && c.LastTier >= t {
		at = c.LastScanned
	}
	if pl.cfg.Fresh <= 0 || at.IsZero() || t <= riskmap.TierLight {
		return 1
	}
	return pl.staleness(at.UnixNano())
}

// rescanOK applies the minimum rescan interval: a tier no deeper than the last scan's waits
// MinRescan[t] after it; a deeper tier may follow at once, since it learns something new.
func (pl *planner) rescanOK(c Candidate, t riskmap.Tier) bool {
	if c.LastScanned.IsZero() || t > c.LastTier {
		return true
	}
	return pl.now.Sub(c.LastScanned) >= pl.cfg.MinRescan[t]
}

// fits reports whether cost more probes fit under limit and the network's cap, and whether
// it was the network cap alone that refused.
func (pl *planner) fits(k *cand, cost, limit int) (ok, netRefused bool) {
	if pl.spent+cost > limit {
		return false, false
	}
	if left, capped := pl.netLeft[k.c.Network]; capped && cost > left {
		return false, true
	}
	return true, false
}

func (pl *planner) take(k *cand, t riskmap.Tier) {
	cost := k.probes[t] - k.probes[k.tier]
	pl.spent += cost
	if _, capped := pl.netLeft[k.c.Network]; capped {
		pl.netLeft[k.c.Network] -= cost
	}
	k.tier = t
}

type upgrade struct {
	k     int
	to    riskmap.Tier
	ratio float64
	cost  int
}

type upgrades []upgrade

func (h upgrades) Len() int { return len(h) }
func (h upgrades) Less(i, j int) bool {
	if h[i].ratio != h[j].ratio {
		return h[i].ratio > h[j].ratio
	}
	if h[i].k != h[j].k {
		return h[i].k < h[j].k
	}
	return h[i].to < h[j].to
}
func (h upgrades) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *upgrades) Push(x any)   { *h = append(*h, x.(upgrade)) }
func (h *upgrades) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// best returns candidate i's upgrade with the highest marginal gain per marginal probe among
// those that fit under limit, if any gains anything.
func (pl *planner) best(i, limit int) (upgrade, bool) {
	k := pl.cs[i]
	var out upgrade
	found := false
	for t := k.tier + 1; t <= riskmap.TierDeep; t++ {
		if !k.allowed[t] {
			continue
		}
		dg := k.gain[t] - k.gain[k.tier]
		dc := k.probes[t] - k.probes[k.tier]
		if dg <= 0 {
			continue
		}
		ok, netRefused := pl.fits(k, dc, limit)
		if !ok {
			k.netLimited = k.netLimited || netRefused
			continue
		}
		ratio := math.Inf(1)
		if dc > 0 {
			ratio = dg / float64(dc)
		}
		if !found || ratio > out.ratio {
			out, found = upgrade{k: i, to: t, ratio: ratio, cost: dc}, true
		}
	}
	return out, found
}

// greedy applies the best upgrades, by marginal expected findings per marginal probe, while
// they fit under limit. Explored candidates keep their exploration tier.
func (pl *planner) greedy(limit int) {
	h := &upgrades{}
	for i, k := range pl.cs {
		if k.skip != "" || k.explore {
			continue
		}
		if u, ok := pl.best(i, limit); ok {
			heap.Push(h, u)
		}
	}
	if u, ok := pl.wideNext(limit); ok {
		heap.Push(h, u)
	}
	for h.Len() > 0 {
		u := heap.Pop(h).(upgrade)
		if u.k < 0 { // the wide-open sweep's next never-probed block
			pl.takeWide(limit)
			if next, ok := pl.wideNext(limit); ok {
				heap.Push(h, next)
			}
			continue
		}
		k := pl.cs[u.k]
		if k.tier >= u.to {
			continue
		}
		if ok, _ := pl.fits(k, k.probes[u.to]-k.probes[k.tier], limit); ok {
			pl.take(k, u.to)
		}
		// Either way the candidate's next best option is re-evaluated against what is left.
		if next, ok := pl.best(u.k, limit); ok {
			heap.Push(h, next)
		}
	}
}

// explore gives unplanned candidates their lightest allowed tier, in a seeded weighted random
// order (Efraimidis-Spirakis keys), while the exploration share lasts.
func (pl *planner) explore(share int) {
	if share <= 0 {
		return
	}
	rng := rand.New(rand.NewPCG(uint64(pl.cfg.Seed), 0x9e3779b97f4a7c15))
	type draw struct {
		i   int
		key float64
	}
	var draws []draw
	for i, k := range pl.cs {
		u := rng.Float64() // drawn for every candidate, so one asset's state does not shift the others' draws
		if k.skip != "" || k.tier != riskmap.TierSkip {
			continue
		}
		w := max(1-k.value, 0.01) * (1 + pl.staleDays(k.c))
		draws = append(draws, draw{i, -math.Log(1-u) / w})
	}
	slices.SortFunc(draws, func(a, b draw) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		return a.i - b.i
	})
	used := 0
	limit := pl.cfg.Budget
	for _, d := range draws {
		k := pl.cs[d.i]
		for t := riskmap.TierLight; t <= riskmap.TierDeep; t++ {
			if !k.allowed[t] {
				continue
			}
			cost := k.probes[t]
			ok, netRefused := pl.fits(k, cost, limit)
			k.netLimited = k.netLimited || netRefused
			if ok && used+cost <= share {
				pl.take(k, t)
				k.explore = true
				used += cost
			}
			break
		}
	}
}

// staleDays is how long ago the candidate was scanned, in days, capped at 30; never scanned
// counts as 30.
func (pl *planner) staleDays(c Candidate) float64 {
	if c.LastScanned.IsZero() {
		return 30
	}
	return min(max(pl.now.Sub(c.LastScanned).Hours()/24, 0), 30)
}

func (pl *planner) plan() *Plan {
	p := &Plan{CreatedAt: pl.now, Budget: pl.cfg.Budget, Items: []PlanItem{}, Skipped: map[string]int{}}
	for _, k := range pl.cs {
		if k.tier == riskmap.TierSkip && len(k.sweep) == 0 {
			reason := k.skip
			switch {
			case reason != "":
			case k.netLimited:
				reason = SkipNetworkRate
			default:
				reason = SkipBudget
			}
			p.Skipped[reason]++
			continue
		}
		it := PlanItem{
			AssetID:  k.c.AssetID,
			IPs:      k.ips,
			Network:  k.c.Network,
			Tier:     k.tier,
			Ports:    pl.profiles.Ports(k.tier, k.c.PredictedPorts),
			UDPPorts: pl.profiles.UDPPorts(k.tier),
			Probes:   k.probes[k.tier],
			MaxRate:  pl.cfg.NetworkRate[k.c.Network],
			Priority: float32(k.value),
			Explore:  k.explore,
			Recheck:  k.recheck,
			Reasons:  slices.Clone(k.c.Reasons),
		}
		switch {
		case k.tier == riskmap.TierSkip:
			it.Reasons = append(it.Reasons, "sweep only")
		case k.recheck:
			it.Reasons = append(it.Reasons, fmt.Sprintf("re-check: known serious exposures on %s, last scanned %s", PortList(mergePorts(k.c.KnownSerious)), lastSeen(pl.now, k.c.LastScanned)))
		case k.explore:
			if k.c.LastScanned.IsZero() {
				it.Reasons = append(it.Reasons, "exploration: never scanned")
			} else {
				it.Reasons = append(it.Reasons, fmt.Sprintf("exploration: last scanned %s ago", pl.now.Sub(k.c.LastScanned).Round(time.Hour)))
			}
		default:
			it.Reasons = append(it.Reasons, fmt.Sprintf("score: %.3g expected serious findings for %d probes", k.gain[k.tier], k.probes[k.tier]))
			if f := k.fresh[k.tier]; f > 0 && f < 1 {
				it.Reasons = append(it.Reasons, fmt.Sprintf("repeats a recent %s scan: %.0f%% of its gain beyond light counted as still unknown (planner.fresh)", k.tier, 100*f))
			}
		}
		if len(k.sweep) > 0 {
			pl.addSweep(k, &it)
		}
		if k.quietNote != "" {
			it.Reasons = append(it.Reasons, k.quietNote)
		}
		pl.split(k, &it, &p.Split)
		p.Probes += it.Probes
		p.Items = append(p.Items, it)
	}
	slices.SortStableFunc(p.Items, func(a, b PlanItem) int {
		return Compare(riskmap.Score{AssetID: a.AssetID, Priority: a.Priority}, riskmap.Score{AssetID: b.AssetID, Priority: b.Priority})
	})
	return p
}

func lastSeen(now, at time.Time) string {
	if at.IsZero() {
		return "never"
	}
	return now.Sub(at).Round(time.Hour).String() + " ago"
}

// addSweep adds k's sweep ports to its item: those its tier's list lacks, at a SYN probe's
// cost (sweepProbes);
// an asset planned only for its sweep gets an item of the sweep tier with those ports alone.
func (pl *planner) addSweep(k *cand, it *PlanItem) {
	t := k.tier
	if t == riskmap.TierSkip {
		limit, _ := pl.quietCap(k.c.Tags) // the sweep takes no asset whose cap is skip
		t = min(pl.cfg.SweepTier, limit)
		it.Tier, it.Ports, it.UDPPorts = t, nil, nil
	}
	var extra []int
	for _, port := range k.sweep {
		if _, found := slices.BinarySearch(it.Ports, port); !found {
			extra = append(extra, port)
		}
	}
	it.Swept = mergePorts(extra)
	it.Probes = pl.profiles.Probes(t, len(k.ips), len(it.Ports), len(it.UDPPorts)) + pl.sweepProbes(len(k.ips), len(it.Swept))
	it.Ports = mergePorts(it.Ports, extra)
	it.Reasons = append(it.Reasons, sweepNote(k, pl.cfg.SweepBlock))
}

// split adds it's probes to the plan's split.
func (pl *planner) split(k *cand, it *PlanItem, s *Split) {
	t := it.Tier
	swept := 0
	if len(it.Swept) > 0 {
		swept = it.Probes - pl.profiles.Probes(t, len(k.ips), len(it.Ports)-len(it.Swept), len(it.UDPPorts))
		if k.tier == riskmap.TierSkip {
			swept = it.Probes
		}
	}
	s.Sweep += swept
	base := it.Probes - swept
	switch {
	case base <= 0:
	case k.explore:
		s.Exploration += base
	case k.recheck:
		rc := min(base, k.probes[riskmap.TierLight])
		s.Rechecks += rc
		s.Escalation += base - rc
	default:
		pred := max(0, base-pl.profiles.Probes(t, len(k.ips), pl.profiles.PortCount(t, nil), len(it.UDPPorts)))
		s.Predicted += pred
		look := min(base-pred, pl.profiles.Probes(riskmap.TierLight, len(k.ips), pl.profiles.PortCount(riskmap.TierLight, nil), len(pl.profiles.UDPPorts(riskmap.TierLight))))
		s.FirstLooks += look
		s.Escalation += base - pred - look
	}
}
