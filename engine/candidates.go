package engine

import (
	"context"
	"net/netip"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/scanner"
)

// lastScan is when an asset was last scanned, and how deeply.
type lastScan struct {
	at   time.Time
	tier riskmap.Tier
}

// LastScans reads, per asset, its most recent scan and that scan's tier (the profile riskmap
// ran it with; imported scans count as standard).
func lastScans(ctx context.Context, s *datasets.Store) (map[string]lastScan, error) {
	scans, err := datasets.ReadAll(ctx, s, datasets.TableScans, nil, datasets.DecodeScans)
	if err != nil {
		return nil, err
	}
	byID := map[string]riskmap.Scan{}
	for _, sc := range scans {
		byID[sc.ID] = sc
	}
	out := map[string]lastScan{}
	err = s.Scan(ctx, datasets.TableHosts, datasets.ScanOptions{Columns: []string{"scan_id", "asset_id", "ip", "status"}}, func(_ datasets.File, rec arrow.RecordBatch) error {
		hosts, err := datasets.DecodeHosts(rec)
		if err != nil {
			return err
		}
		for _, h := range hosts {
			sc, ok := byID[h.ScanID]
			if !ok || h.AssetID == "" {
				continue
			}
			tier, err := riskmap.ParseTier(sc.Profile)
			if err != nil {
				tier = riskmap.TierStandard
			}
			if cur, ok := out[h.AssetID]; !ok || sc.Started.After(cur.at) {
				out[h.AssetID] = lastScan{at: sc.Started, tier: tier}
			}
		}
		return nil
	})
	return out, err
}

// Candidates turns scored assets into the planner's candidates: only the asset addresses
// inside the scope, the ports predicted for each asset, and when it was last scanned.
func Candidates(assets []riskmap.Asset, scores []riskmap.Score, predicted map[string][]int, last map[string]lastScan, scope scanner.Scope) []scanner.Candidate {
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
			c.LastScanned, c.LastTier = l.at, l.tier
		}
		out = append(out, c)
	}
	return out
}
