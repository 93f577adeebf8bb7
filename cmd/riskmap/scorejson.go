package main

import (
	"math"
	"sort"

	"github.com/riskmap/riskmap"
)

func sortByMagnitude[T any](items []T, key func(T) float32) {
	sort.SliceStable(items, func(i, j int) bool {
		return math.Abs(float64(key(items[i]))) > math.Abs(float64(key(items[j])))
	})
}

func scoreJSON(s riskmap.Score) map[string]any {
	return map[string]any{
		"asset_id": s.AssetID, "as_of": s.AsOf, "model": s.Model, "model_version": s.ModelVersion,
		"risk": s.Risk, "anomaly": s.Anomaly, "priority": s.Priority, "reasons": s.Reasons,
	}
}
