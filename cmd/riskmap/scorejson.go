package main

import (
	"math"
	"sort"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features"
)

func sortByMagnitude[T any](items []T, key func(T) float32) {
	sort.SliceStable(items, func(i, j int) bool {
		return math.Abs(float64(key(items[i]))) > math.Abs(float64(key(items[j])))
	})
}

func scoreJSON(s riskmap.Score) map[string]any {
	return map[string]any{
		"asset_id": s.AssetID, "as_of": s.AsOf, "model": s.Model, "model_version": s.ModelVersion,
		"risk": s.Risk, "anomaly": s.Anomaly, "priority": s.Priority, "reasons": s.Reasons, "why": why(s),
	}
}

// why is s.Why, or its raw reasons read back as sentences when the scorer gave none.
func why(s riskmap.Score) []string {
	if len(s.Why) > 0 {
		return s.Why
	}
	out := make([]string, len(s.Reasons))
	for i, r := range s.Reasons {
		out[i] = features.Sentence(r)
	}
	return out
}
