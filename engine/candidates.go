package engine

import (
	"net/netip"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/ingest"
	"github.com/riskmap/riskmap/scanner"
)

// Candidates turns scored assets into the planner's candidates: only the asset addresses
// inside the scope, the ports predicted for each asset, and when it was last scanned.
func Candidates(assets []riskmap.Asset, scores []riskmap.Score, predicted map[string][]int, last map[string]ingest.LastScan, scope scanner.Scope) []scanner.Candidate {
	byID := map[string]riskmap.Score{}
	for _, s := range scores {
		byID[s.AssetID] = s
	}
	var out []scanner.Candidate
	for i := range assets {
		a := &assets[i]
		c := scanner.Candidate{AssetID: a.ID, Network: a.Network, Tags: map[string]string{}, PredictedPorts: predicted[a.ID]}
		for _, t := range a.Tags {
			c.Tags[t.Key] = t.Value
		}
		for _, ip := range a.IPs() {
			addr, err := netip.ParseAddr(ip)
			if err != nil {
				continue
			}
			if scope.Check(addr) == nil {
				c.IPs = append(c.IPs, addr)
			}
		}
		if sc, ok := byID[a.ID]; ok {
			c.Risk, c.Anomaly, c.Reasons = sc.Risk, sc.Anomaly, sc.Reasons
		}
		if l, ok := last[a.ID]; ok {
			c.LastScanned, c.LastTier, c.LastAtTier = l.At, l.Tier, l.AtTier
		}
		out = append(out, c)
	}
	return out
}
