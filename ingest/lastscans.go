package ingest

import (
	"context"
	"time"

	"github.com/riskmap/riskmap"
)

// LastScan is when an asset was last scanned, and how deeply.
type LastScan struct {
	At   time.Time
	Tier riskmap.Tier
}

// LastScans returns, per asset, its most recent committed scan and that scan's tier (the
// profile riskmap ran it with; imported scans, and scans of another profile, count as
// standard). It comes from the scan history the Ingester keeps for baselines, so a loop that
// ingests with the same Ingester reads no table for it after the first time.
func (in *Ingester) LastScans(ctx context.Context) (map[string]LastScan, error) {
	h, err := in.history(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]LastScan{}
	for key, ids := range h.byHost {
		const prefix = "asset:"
		if len(key) <= len(prefix) || key[:len(prefix)] != prefix {
			continue // a host joined to no asset
		}
		asset := key[len(prefix):]
		for _, id := range ids {
			sc := h.scans[id]
			tier, err := riskmap.ParseTier(sc.Profile)
			if err != nil {
				tier = riskmap.TierStandard
			}
			if cur, ok := out[asset]; !ok || sc.Started.After(cur.At) {
				out[asset] = LastScan{At: sc.Started, Tier: tier}
			}
		}
	}
	return out, nil
}
