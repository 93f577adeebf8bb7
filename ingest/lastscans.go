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
	// AtTier is when a scan of each tier or deeper last ran on the asset (zero: never), so that
	// the planner knows how fresh a standard scan is even after a light one followed it.
	AtTier [riskmap.TierDeep + 1]time.Time
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
			cur, ok := out[asset]
			if !ok || sc.Started.After(cur.At) {
				cur.At, cur.Tier = sc.Started, tier
			}
			for t := riskmap.TierLight; t <= tier && t <= riskmap.TierDeep; t++ {
				if sc.Started.After(cur.AtTier[t]) {
					cur.AtTier[t] = sc.Started
				}
			}
			out[asset] = cur
		}
	}
	return out, nil
}
