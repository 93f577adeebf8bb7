package estate

import (
	"net/netip"
	"slices"
	"time"

	"github.com/riskmap/riskmap"
)

// Observations returns what a perfect deep scan (riskmap's deep tier: nmap -sV -sC with
// redis-info and memcached-info, every port) of every instance's lab address at time at would
// report: one open port per listening service, named as nmap names it, with the script output
// findings rules read (see NmapDeep), sorted by address and port. Use it to make scan history
// without running the lab. Scan the lab at the estate's Time to compare: its services report
// that as now.
func (e *Estate) Observations(scanID string, at time.Time) []riskmap.Observation {
	n := 0
	for _, in := range e.Instances {
		n += len(in.Services)
	}
	out := make([]riskmap.Observation, 0, n)
	order := make([]int, len(e.Instances))
	addrs := make([]netip.Addr, len(e.Instances))
	for i := range order {
		order[i] = i
		addrs[i], _ = netip.ParseAddr(e.Instances[i].LabIP)
	}
	slices.SortFunc(order, func(a, b int) int { return addrs[a].Compare(addrs[b]) })
	for _, i := range order {
		in := &e.Instances[i]
		for _, s := range in.Services {
			v := in.NmapDeep(s, at)
			out = append(out, riskmap.Observation{
				ScanID: scanID, ScanTime: at, IP: in.LabIP, AssetID: in.ID,
				Port: s.Port, Proto: s.Proto, State: "open", Reason: "syn-ack",
				Service: v.Service, Product: v.Product, Version: v.Version, ExtraInfo: v.ExtraInfo,
				Tunnel: v.Tunnel, CPEs: v.CPEs, Scripts: v.Scripts,
			})
		}
	}
	return out
}
