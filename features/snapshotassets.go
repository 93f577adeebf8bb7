package features

import (
	"sort"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// The snapshot's assets as domain values, kept for an Estate (Estate.Assets, Estate.Inventory).

// allAssetColumns is every column of the assets table: what datasets.DecodeAssets reads.
func allAssetColumns() []string {
	var out []string
	for _, f := range datasets.AssetsSchema.Fields() {
		out = append(out, f.Name)
	}
	return out
}

// liveAssets are the kept assets of the chosen snapshots that are not Gone, sorted by id; an
// asset listed twice keeps its first row, as the snapshot does.
func (snap *snapshot) liveAssets() []riskmap.Asset {
	seen := map[string]bool{}
	var out []riskmap.Asset
	for _, f := range snap.files {
		for i := range snap.assets[f.Path] {
			a := &snap.assets[f.Path][i]
			if Gone(a) || seen[a.ID] {
				continue
			}
			seen[a.ID] = true
			out = append(out, *a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// rows are every kept row of the chosen snapshots, in file order, Gone assets included.
func (snap *snapshot) rows() []riskmap.Asset {
	var out []riskmap.Asset
	for _, f := range snap.files {
		out = append(out, snap.assets[f.Path]...)
	}
	return out
}
