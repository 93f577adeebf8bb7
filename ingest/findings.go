package ingest

import (
	"context"
	"os"
	"sort"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/findings"
)

// LoadRules reads the findings rules: the defaults, merged with the user's file when path is
// set (a rule with the same id replaces the default).
func LoadRules(path string) (*findings.Rules, error) {
	defaults, err := findings.DefaultRules()
	if err != nil || path == "" {
		return defaults, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	user, err := findings.LoadRules(path, f)
	if err != nil {
		return nil, err
	}
	return findings.Merge(defaults, user), nil
}

// findings evaluates the rules on each host of a scan, with the intel in the workspace.
func (in *Ingester) findings(ctx context.Context, hosts []riskmap.Host, obs []riskmap.Observation, assetOf map[string]*riskmap.Asset) ([]riskmap.Finding, error) {
	if in.Rules == nil {
		r, err := findings.DefaultRules()
		if err != nil {
			return nil, err
		}
		in.Rules = r
	}
	if !in.intelLoaded {
		k, err := LoadKEV(ctx, in.W.Store())
		if err != nil {
			return nil, err
		}
		e, err := LoadEPSS(ctx, in.W.Store())
		if err != nil {
			return nil, err
		}
		in.kev, in.epss, in.intelLoaded = k, e, true
	}
	byIP := map[string][]riskmap.Observation{}
	for _, o := range obs {
		byIP[o.IP] = append(byIP[o.IP], o)
	}
	var out []riskmap.Finding
	for i := range hosts {
		h := &hosts[i]
		if h.Status != "up" && len(byIP[h.IP]) == 0 {
			continue
		}
		fs := in.Rules.Evaluate(findings.Input{Asset: assetOf[h.IP], Observations: byIP[h.IP], Host: h}, in.kev, in.epss.Lookup)
		if a := assetOf[h.IP]; a != nil && h.Status == "up" {
			recent, err := in.recentObservations(ctx, a, h, byIP[h.IP])
			if err != nil {
				return nil, err
			}
			fs = append(fs, findings.ValidateExposure(a, recent)...)
		}
		for j := range fs {
			fs[j].ScanID = h.ScanID
			if fs[j].AssetID == "" {
				fs[j].AssetID = h.AssetID
			}
		}
		out = append(out, fs...)
	}
	findings.SortFindings(out)
	return out, nil
}

// recentScans is how many scans of an asset security-group validation looks at: a rule is
// called unused only when nothing listened behind it in any of them.
const recentScans = 3

// recentObservations returns the asset's observations in this scan and its latest earlier
// scans, newest first, for security-group validation.
func (in *Ingester) recentObservations(ctx context.Context, a *riskmap.Asset, host *riskmap.Host, current []riskmap.Observation) ([][]riskmap.Observation, error) {
	out := [][]riskmap.Observation{current}
	h, err := in.history(ctx)
	if err != nil {
		return nil, err
	}
	ids := append([]string(nil), h.byHost[hostKey(a.ID, host.IP)]...)
	sort.Slice(ids, func(i, j int) bool { return h.scans[ids[i]].Started.After(h.scans[ids[j]].Started) })
	for _, id := range ids {
		if len(out) == recentScans {
			break
		}
		if id == host.ScanID || !h.scans[id].Started.Before(host.ScanTime) {
			continue
		}
		snap, err := in.snapshot(ctx, h, id)
		if err != nil {
			return nil, err
		}
		var obs []riskmap.Observation
		for _, o := range snap.Observations {
			if o.AssetID == a.ID {
				obs = append(obs, o)
			}
		}
		out = append(out, obs)
	}
	return out, nil
}
