package features

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// Estate is the estate as of one time, read once: the latest inventory snapshot of each
// account, the scan history, findings and diffs up to then, and the threat intelligence in
// effect. A cycle loads one and shares it: scoring takes its feature rows (Features), the
// planner its predicted ports (PredictedPorts) and its assets (Assets). Nothing after AsOf is
// read, as in Build.
//
// An Estate holds per-asset state, so its memory grows with the number of assets. Its methods
// may be called in any order and more than once; they are not safe for concurrent use.
type Estate struct {
	AsOf time.Time

	store *datasets.Store
	opts  BuildOptions
	agg   *aggregator

	once   sync.Once
	assets []riskmap.Asset
	err    error
}

// LoadEstate reads the estate as of opts.AsOf: the tables Build reads, once each.
func LoadEstate(ctx context.Context, s *datasets.Store, opts BuildOptions) (*Estate, error) {
	e, _, err := loadEstate(ctx, s, opts)
	return e, err
}

// loadEstate is LoadEstate that also returns what was counted when the read failed.
func loadEstate(ctx context.Context, s *datasets.Store, opts BuildOptions) (*Estate, Stats, error) {
	if err := opts.Validate(); err != nil {
		return nil, Stats{}, err
	}
	agg, err := prepare(ctx, s, opts, true)
	if err != nil {
		return nil, Stats{}, err
	}
	if err := agg.readAll(ctx, true); err != nil {
		return nil, agg.stats, err
	}
	return &Estate{AsOf: opts.AsOf, store: s, opts: opts, agg: agg}, agg.stats, nil
}

// Features hands over the estate's feature rows in batches, as Build does.
func (e *Estate) Features(ctx context.Context, emit func(arrow.RecordBatch) error) (Stats, error) {
	err := e.agg.emit(ctx, e.opts, emit)
	return e.agg.stats, err
}

// PredictedPorts is PredictedPorts of this estate.
func (e *Estate) PredictedPorts(ctx context.Context) (map[string][]int, error) {
	return predicted(ctx, e.agg)
}

// Assets returns the assets of the estate's snapshots that are not Gone, sorted by id. The
// asset rows are decoded on the first call from the files of the chosen snapshots alone.
func (e *Estate) Assets(ctx context.Context) ([]riskmap.Asset, error) {
	e.once.Do(func() {
		files := map[string]bool{}
		for _, f := range e.agg.snap.files {
			files[f.Path] = true
		}
		all, err := datasets.ReadAll(ctx, e.store, datasets.TableAssets, func(f datasets.File) bool { return files[f.Path] }, datasets.DecodeAssets)
		if err != nil {
			e.err = fmt.Errorf("assets: %w", err)
			return
		}
		seen := map[string]bool{}
		for i := range all {
			a := &all[i]
			t, ok := e.agg.snap.chosen[snapKey{a.Provider, a.Account}]
			if !ok || a.SnapshotTime.UnixMicro() != t || Gone(a) || seen[a.ID] {
				continue
			}
			seen[a.ID] = true // an asset listed twice keeps its first row, as the snapshot does
			e.assets = append(e.assets, *a)
		}
		sort.Slice(e.assets, func(i, j int) bool { return e.assets[i].ID < e.assets[j].ID })
	})
	return e.assets, e.err
}
