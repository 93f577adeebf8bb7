package features

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/riskmap/riskmap"
)

// PortPrior is one TCP port learned for an asset from the estate's own observations, and why.
type PortPrior struct {
	Port int
	Why  string
}

// Limits of the learned priors.
const (
	// maxPriors bounds the ports PortPriors adds to one asset.
	maxPriors = 32
	// minCooccur is how many hosts must show two ports together before one predicts the other.
	minCooccur = 2
	// minConfidence is the share of hosts with one port open that must also have the other.
	minConfidence = 0.5
)

// PortPriors returns, for each asset of the inventory as of asOf, TCP ports it has not been
// seen to open but that the estate's own history predicts, most supported first, at most 32:
//
//   - siblings: a port open (in its latest state) on another asset that shares a security
//     group or a subnet (ports of image and group siblings are PredictedPorts' already), so a
//     service found on an unlisted port of one host is predicted for its siblings at once;
//   - co-occurrence: a port b that at least half (and at least 2) of the hosts with port a
//     open also have open, for each port a the asset has open: a service's admin, metrics or
//     clustering ports;
//   - wide-open peers: for a wide-open asset (Asset.WideOpen: its rules let every port, or a
//     wide range, through from the internet), a port open on another wide-open asset, within
//     the asset's own open ranges (Asset.WideRanges). People
//     run the same odd ports on the hosts they open "for a moment" (telnet moved to 52323, a
//     VNC on 45900); on such a host no rule keeps that port from the internet, and no list
//     names it, so only the estate's own history can predict it before a sweep reaches it.
//     These come first: they are what the sweep would otherwise take cycles to find.
//
// Each prior says why. It reads nothing: assets and open (per asset, the TCP ports it was seen
// to open; Estate.OpenPorts) come from the estate a cycle has already loaded.
func PortPriors(ctx context.Context, assets []riskmap.Asset, open map[string][]int) (map[string][]PortPrior, error) {
	// Co-occurrence counts over every host with open ports.
	single := map[int]int{}
	pair := map[[2]int]int{}
	for _, ports := range open {
		for _, a := range ports {
			single[a]++
			for _, b := range ports {
				if a != b {
					pair[[2]int{a, b}]++
				}
			}
		}
	}
	type follow struct{ port, n int }
	after := map[int][]follow{} // a -> the ports b that co-occur with it often enough
	for key, n := range pair {
		if n >= minCooccur && float64(n) >= minConfidence*float64(single[key[0]]) {
			after[key[0]] = append(after[key[0]], follow{key[1], n})
		}
	}
	members := map[string][]string{} // "sg:<id>" or "subnet:<id>" -> asset ids
	var wide []string                // wide-open asset ids
	for i := range assets {
		a := &assets[i]
		if a.WideOpen() {
			wide = append(wide, a.ID)
		}
		for _, sg := range a.SecurityGroups {
			members["sg:"+sg] = append(members["sg:"+sg], a.ID)
		}
		if a.Subnet != "" {
			members["subnet:"+a.Subnet] = append(members["subnet:"+a.Subnet], a.ID)
		}
	}
	out := map[string][]PortPrior{}
	for i := range assets {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		a := &assets[i]
		mine := open[a.ID]
		type cand struct {
			port    int
			first   bool // a wide-open peer's port: ranked before the others
			support int
			why     string
		}
		best := map[int]cand{}
		offer := func(port, support int, first bool, why string) {
			if slices.Contains(mine, port) {
				return
			}
			if c, ok := best[port]; !ok || (first && !c.first) || (first == c.first && support > c.support) {
				best[port] = cand{port, first, support, why}
			}
		}
		if ranges := a.WideRanges(); ranges != nil {
			count := map[int]int{}
			example := map[int]string{}
			for _, id := range wide {
				if id == a.ID {
					continue
				}
				for _, p := range open[id] {
					if !slices.ContainsFunc(ranges, func(r [2]int) bool { return p >= r[0] && p <= r[1] }) {
						continue // its rules keep this one from the internet
					}
					count[p]++
					if example[p] == "" {
						example[p] = id
					}
				}
			}
			for p, n := range count {
				offer(p, n, true, fmt.Sprintf("open on %d other wide-open asset(s) (e.g. %s), and this asset's rules let it through from the internet", n, example[p]))
			}
		}
		var sets []string
		for _, sg := range a.SecurityGroups {
			sets = append(sets, "sg:"+sg)
		}
		if a.Subnet != "" {
			sets = append(sets, "subnet:"+a.Subnet)
		}
		for _, set := range sets {
			count := map[int]int{}
			example := map[int]string{}
			for _, id := range members[set] {
				if id == a.ID {
					continue
				}
				for _, p := range open[id] {
					count[p]++
					if example[p] == "" {
						example[p] = id
					}
				}
			}
			kind, name := "security group", set[len("sg:"):]
			if set[:3] != "sg:" {
				kind, name = "subnet", set[len("subnet:"):]
			}
			for p, n := range count {
				offer(p, n, false, fmt.Sprintf("open on %d sibling(s) in %s %s (e.g. %s)", n, kind, name, example[p]))
			}
		}
		for _, x := range mine {
			for _, f := range after[x] {
				offer(f.port, f.n, false, fmt.Sprintf("co-occurs with %d/tcp: open together on %d of the %d hosts with %d open", x, f.n, single[x], x))
			}
		}
		if len(best) == 0 {
			continue
		}
		list := make([]cand, 0, len(best))
		for _, c := range best {
			list = append(list, c)
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].first != list[j].first {
				return list[i].first
			}
			if list[i].support != list[j].support {
				return list[i].support > list[j].support
			}
			return list[i].port < list[j].port
		})
		for _, c := range list[:min(len(list), maxPriors)] {
			out[a.ID] = append(out[a.ID], PortPrior{Port: c.port, Why: c.why})
		}
	}
	return out, nil
}

// OpenPorts returns, per asset of the estate, the TCP ports some scan up to AsOf saw open,
// sorted: what PredictedPorts counts as seen.
func (e *Estate) OpenPorts(ctx context.Context) (map[string][]int, error) {
	agg := e.agg
	out := map[string][]int{}
	for i := 0; i < agg.snap.n; i++ {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		o, _, _, _ := agg.state(i)
		var ports []int
		for p := range o.each {
			if p.last != 0 && p.proto == protoTCP {
				ports = append(ports, int(p.port))
			}
		}
		if len(ports) > 0 {
			slices.Sort(ports)
			out[agg.snap.id(i)] = ports
		}
	}
	return out, nil
}
