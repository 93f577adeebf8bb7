package features

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/riskmap/riskmap/datasets"
)

// Caps on predicted port lists: a light scan probes a few predicted ports on top of its
// fixed list, so a long list would defeat it.
const (
	// MaxPredicted is the longest list PredictedPorts returns for one asset.
	MaxPredicted = 128
	// maxRulePorts bounds the ports taken from an asset's rules.
	maxRulePorts = 32
	// maxRuleRange is the widest rule whose ports count as concrete.
	maxRuleRange = 16
)

// PredictedPorts returns, for each asset of the inventory as of asOf, the TCP ports worth
// probing beyond a tier's fixed list (sorted, at most MaxPredicted): the ports the asset
// was ever seen to open, the concrete ports its rules allow (rules of at most 16 ports, at
// most 32 ports in all, any source), and the ports open on its siblings (same image or
// group) in their latest scans, most common first. Assets with no such port are absent. Like
// Build, it reads nothing after asOf.
func PredictedPorts(ctx context.Context, s *datasets.Store, asOf time.Time) (map[string][]int, error) {
	opts := BuildOptions{AsOf: asOf}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	agg, err := prepare(ctx, s, opts, false, false)
	if err != nil {
		return nil, err
	}
	if err := agg.readAll(ctx, false); err != nil {
		return nil, err
	}
	return predicted(ctx, agg)
}

// predicted computes PredictedPorts from an aggregator that has read at least the hosts and
// observations.
func predicted(ctx context.Context, agg *aggregator) (map[string][]int, error) {
	sb := agg.siblings()
	out := map[string][]int{}
	type ranked struct {
		port  int
		count int32
	}
	var sib []ranked
	for i := 0; i < agg.snap.n; i++ {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		info := &agg.snap.info[i]
		o, _, _, _ := agg.state(i)
		set := map[int]bool{}
		for p := range o.each {
			if p.last != 0 && p.proto == protoTCP && len(set) < MaxPredicted {
				set[int(p.port)] = true
			}
		}
		rules := 0
		for _, r := range agg.snap.rulesOf(info) {
			if (r.proto != protoTCP && r.proto != protoAll) || int(r.hi)-int(r.lo) >= maxRuleRange || r.hi < r.lo {
				continue
			}
			for p := int(r.lo); p <= int(r.hi) && rules < maxRulePorts && len(set) < MaxPredicted; p++ {
				if p > 0 && !set[p] {
					set[p] = true
					rules++
				}
			}
		}
		sib = sib[:0]
		counts := map[int]int32{}
		img, grp := sb.sets(info)
		for _, set := range [][]portCount{img, grp} {
			for _, p := range set {
				if uint8(p.key>>16) == protoTCP {
					counts[int(p.key&0xffff)] += p.n
				}
			}
		}
		for p, c := range counts {
			if !set[p] {
				sib = append(sib, ranked{p, c})
			}
		}
		sort.Slice(sib, func(a, b int) bool {
			if sib[a].count != sib[b].count {
				return sib[a].count > sib[b].count
			}
			return sib[a].port < sib[b].port
		})
		for _, r := range sib {
			if len(set) >= MaxPredicted {
				break
			}
			set[r.port] = true
		}
		if len(set) == 0 {
			continue
		}
		ports := make([]int, 0, len(set))
		for p := range set {
			ports = append(ports, p)
		}
		slices.Sort(ports)
		out[agg.snap.id(i)] = ports
	}
	return out, nil
}
