package engine

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
	"github.com/riskmap/riskmap/scanner"
)

// probedAsOf folds the coverage table, up to at, into when each TCP port of each asset was
// last probed.
func probedAsOf(ctx context.Context, s *datasets.Store, at time.Time) (map[string]scanner.Probed, error) {
	rows, err := datasets.ReadAll(ctx, s, datasets.TableCoverage, nil, datasets.DecodeCoverage)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].ScanTime.Before(rows[j].ScanTime) })
	out := map[string]scanner.Probed{}
	for _, r := range rows {
		if r.AssetID == "" || r.Proto != "tcp" || r.ScanTime.After(at) {
			continue
		}
		p := out[r.AssetID]
		for _, pr := range r.Ranges {
			p = p.Paint(pr.From, pr.To, r.ScanTime)
		}
		out[r.AssetID] = p
	}
	return out, nil
}

// exploreInputs gives the candidates what the sweep and the re-checks read (their exposure
// width, when each port was last probed, the ports of their known serious exposures), adds
// the ports the estate's history predicts (features.PortPriors) to their predicted ports, and
// says why each predicted port is there (Candidate.PortReasons).
func exploreInputs(ctx context.Context, s *datasets.Store, est *features.Estate, findings []riskmap.Finding, cands []scanner.Candidate, assets []riskmap.Asset) error {
	probed, err := probedAsOf(ctx, s, est.AsOf)
	if err != nil {
		return err
	}
	serious := features.SeriousPorts(findings)
	open, err := est.OpenPorts(ctx)
	if err != nil {
		return err
	}
	priors, err := features.PortPriors(ctx, assets, open)
	if err != nil {
		return err
	}
	byID := make(map[string]*riskmap.Asset, len(assets))
	for i := range assets {
		byID[assets[i].ID] = &assets[i]
	}
	for i := range cands {
		c := &cands[i]
		if a := byID[c.AssetID]; a != nil {
			c.WideOpen, c.WideRanges = a.WideOpen(), a.WideRanges()
		}
		c.Probed, c.KnownSerious = probed[c.AssetID], serious[c.AssetID]
		c.PredictedPorts = slices.Clone(c.PredictedPorts) // shared with the predicted map
		c.PortReasons = map[int]string{}
		for _, p := range c.PredictedPorts {
			c.PortReasons[p] = features.PredictedWhy(byID[c.AssetID], open[c.AssetID], p)
		}
		for _, pr := range priors[c.AssetID] {
			if len(c.PredictedPorts) >= features.MaxPredicted {
				break
			}
			if _, ok := c.PortReasons[pr.Port]; !ok {
				c.PredictedPorts = append(c.PredictedPorts, pr.Port)
				c.PortReasons[pr.Port] = pr.Why
			}
		}
		slices.Sort(c.PredictedPorts)
	}
	return nil
}
