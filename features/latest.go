package features

import (
	"context"
	"sort"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// LatestAssets returns the assets of the latest inventory snapshot of each provider account
// at or before asOf, leaving out the Gone ones, sorted by id: what an Estate's Assets are,
// read without the rest of the estate (the report uses it).
func LatestAssets(ctx context.Context, s *datasets.Store, asOf time.Time) ([]riskmap.Asset, error) {
	all, err := datasets.ReadAll(ctx, s, datasets.TableAssets, nil, datasets.DecodeAssets)
	if err != nil {
		return nil, err
	}
	latest := map[string]time.Time{}
	key := func(a *riskmap.Asset) string { return a.Provider + "/" + a.Account }
	for i := range all {
		a := &all[i]
		if a.SnapshotTime.After(asOf) {
			continue
		}
		if t := latest[key(a)]; a.SnapshotTime.After(t) {
			latest[key(a)] = a.SnapshotTime
		}
	}
	var out []riskmap.Asset
	for i := range all {
		a := &all[i]
		if !a.SnapshotTime.Equal(latest[key(a)]) || Gone(a) {
			continue
		}
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Gone is the one rule for an asset that is no longer there to scan: terminated, or being
// terminated. A gone asset is never a scan candidate, a target or an alert's subject. Its
// feature row is still built and scored as of the snapshot that lists it: its history up to
// then is part of what the models learn from.
func Gone(a *riskmap.Asset) bool { return a.State == "terminated" || a.State == "shutting-down" }
