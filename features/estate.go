package features

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// Estate is the estate as of one time, read once: the latest inventory snapshot of each
// account, the scan history, findings and diffs up to then, and the threat intelligence in
// effect. A cycle loads one and shares it: scoring takes its feature rows (Features), the
// planner its predicted ports (PredictedPorts) and its assets (Assets). Nothing after AsOf is
// read, as in Build. Advance moves it to a later time by reading only the files written since.
//
// An Estate holds per-asset state, so its memory grows with the number of assets. Its methods
// may be called in any order and more than once; they are not safe for concurrent use.
type Estate struct {
	AsOf time.Time

	store  *datasets.Store
	opts   BuildOptions
	agg    *aggregator
	assets []riskmap.Asset
	inv    Inventory
}

// Inventory is what an estate read of the inventory: every row of the chosen snapshots
// (assets that are Gone, and a second row of an asset, included), and the times of the other
// snapshots in the workspace, whose rows it does not hold. An IP -> asset index built from
// Rows answers as one built from the whole table for any time after which no Others snapshot
// was taken (ingest.Ingester.SeedAssets).
type Inventory struct {
	Rows   []riskmap.Asset
	Others []time.Time
}

// LoadEstate reads the estate as of opts.AsOf: the tables Build reads, each file once, and
// the assets of the chosen snapshots in the same pass.
func LoadEstate(ctx context.Context, s *datasets.Store, opts BuildOptions) (*Estate, error) {
	e, _, err := loadEstate(ctx, s, opts, true)
	return e, err
}

// loadEstate is LoadEstate that also returns what was counted when the read failed.
func loadEstate(ctx context.Context, s *datasets.Store, opts BuildOptions, keepAssets bool) (*Estate, Stats, error) {
	if err := opts.Validate(); err != nil {
		return nil, Stats{}, err
	}
	agg, err := prepare(ctx, s, opts, true, keepAssets)
	if err != nil {
		return nil, Stats{}, err
	}
	if keepAssets {
		agg.snap.ipsFromAssets() // rows joined by address need no second read of the assets
	}
	if err := agg.readAll(ctx, true); err != nil {
		return nil, agg.stats, err
	}
	e := &Estate{AsOf: opts.AsOf, store: s, opts: opts, agg: agg}
	if keepAssets {
		e.assets = agg.snap.liveAssets()
		e.inv = Inventory{Rows: agg.snap.rows(), Others: agg.snap.others}
		agg.snap.assets = map[string][]riskmap.Asset{} // the estate holds them now
	}
	return e, agg.stats, nil
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

// Assets returns the assets of the estate's snapshots that are not Gone, sorted by id,
// decoded when the estate was loaded. The caller must not change them.
func (e *Estate) Assets(ctx context.Context) ([]riskmap.Asset, error) {
	if e.agg.snap.assets == nil {
		return nil, fmt.Errorf("assets: the estate was loaded without them")
	}
	return e.assets, nil
}

// Inventory returns the rows of the estate's snapshots and the times of the others, read
// when the estate was loaded. The caller must not change them.
func (e *Estate) Inventory() Inventory { return e.inv }

// Advance moves the estate to asOf, no earlier than its time, with what was recorded since
// it was read: the scans, hosts, observations, findings and diffs files it has not read yet
// (a cycle's own scans), each read once and folded into the per-asset state. No file already
// read is read again, so rows of those files dated between the old and the new time, which a
// fresh read would now take, stay left out; ingest writes each scan to its own files, so a
// file read before holds no such rows unless a clock moved backwards. The inventory snapshot
// and the threat intelligence stay those in effect at the first time.
func (e *Estate) Advance(ctx context.Context, asOf time.Time) error {
	if asOf.Before(e.AsOf) {
		return fmt.Errorf("advance the estate to %s: it is already as of %s", asOf.Format(time.RFC3339), e.AsOf.Format(time.RFC3339))
	}
	a := e.agg
	a.limit = asOf.UnixMicro()
	for i := range a.snap.info { // the one static feature that depends on the time
		info := &a.snap.info[i]
		info.static[fAgeDays] = ageDays(info.launchedAt(), asOf)
	}
	if err := a.scans.load(ctx, e.store, a.batchRows); err != nil {
		return err
	}
	a.stats.Hosts, a.stats.Obs, a.stats.Findings, a.stats.Diffs, a.stats.Skipped = Count{}, Count{}, Count{}, Count{}, 0
	if err := a.readAll(ctx, true); err != nil {
		return err
	}
	e.AsOf = asOf
	e.opts.AsOf = asOf
	return nil
}
