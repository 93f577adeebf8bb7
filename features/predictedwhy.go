package features

import (
	"slices"

	"github.com/riskmap/riskmap"
)

// SeriousPorts lists, per asset, the ports of its serious findings (the ingester keeps them:
// no table read after the first).
func SeriousPorts(findings []riskmap.Finding) map[string][]int {
	out := map[string][]int{}
	for _, f := range findings {
		if !f.Severity.Serious() || f.AssetID == "" || f.Port <= 0 {
			continue
		}
		if !slices.Contains(out[f.AssetID], f.Port) {
			out[f.AssetID] = append(out[f.AssetID], f.Port)
		}
	}
	return out
}

// PredictedWhy says why PredictedPorts predicted port for a (see its doc).
func PredictedWhy(a *riskmap.Asset, open []int, port int) string {
	if slices.Contains(open, port) {
		return "seen open on this asset"
	}
	if a != nil {
		for _, e := range a.Exposed {
			if (e.Proto == "tcp" || e.Proto == "all") && !e.AllPorts() && e.ToPort-e.FromPort < 16 && e.Covers("tcp", port) {
				return "a security rule allows it (from " + e.Source + ")"
			}
		}
	}
	return "open on a sibling of the same image or group"
}
