package features

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// Label states of one asset in the window, ordered so that merging takes the maximum.
const (
	labelUnseen  = 0
	labelScanned = 1
	labelSerious = 2
)

// Labels returns the training labels of the window (from, to]: for every asset that a scan
// started in the window found up (hosts table) or reported findings on, whether any of those
// findings was high or critical. Assets no scan of the window covered are absent: nothing is
// known of them. Rows are joined to the inventory as of to, by asset_id or else by address.
func Labels(ctx context.Context, s *datasets.Store, from, to time.Time) (map[string]bool, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("features: labels window (%s, %s] is empty, want to after from", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	opts := BuildOptions{AsOf: to}
	scans, err := loadScans(ctx, s, opts.batchRows())
	if err != nil {
		return nil, err
	}
	snap, err := loadSnapshot(ctx, s, to, opts.workers(), opts.batchRows(), false)
	if err != nil {
		return nil, err
	}
	lo, hi := from.UnixMicro(), to.UnixMicro()
	inWindow := make([]bool, len(scans.started))
	for i, t := range scans.started {
		inWindow[i] = t > lo && t <= hi
	}
	agg := newAggregator(s, hi, opts.batchRows(), opts.workers(), snap, scans, nil)
	states := make([][]uint8, len(agg.workers))
	mark := func(w *worker, a int32, v uint8) {
		if states[w.id] == nil {
			states[w.id] = make([]uint8, snap.n)
		}
		states[w.id][a] = max(states[w.id][a], v)
	}
	window := func(w *worker, sc *strCol, i int) bool {
		n := w.mScan.get(sc, i, w.scanOf)
		return int(n) < len(inWindow) && inWindow[n]
	}
	hostCols := []string{"scan_id", "ip", "asset_id", "status"}
	err = agg.read(ctx, datasets.TableHosts, hostCols, func(w *worker, ctx context.Context, f datasets.File, rec arrow.RecordBatch) error {
		sc, err := strColumns(rec, hostCols)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		bind(&w.mScan, &sc[0], &w.mAsset, &sc[2], &w.mState, &sc[3])
		for i := 0; i < int(rec.NumRows()); i++ {
			if !window(w, &sc[0], i) || w.mState.get(&sc[3], i, isUp) != 1 {
				continue
			}
			a, err := w.asset(ctx, &sc[2], &sc[1], i)
			if err != nil {
				return err
			}
			if a >= 0 {
				mark(w, a, labelScanned)
			}
		}
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	findCols := []string{"scan_id", "ip", "asset_id", "severity"}
	err = agg.read(ctx, datasets.TableFindings, findCols, func(w *worker, ctx context.Context, f datasets.File, rec arrow.RecordBatch) error {
		sc, err := strColumns(rec, findCols)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		bind(&w.mScan, &sc[0], &w.mAsset, &sc[2], &w.mSev, &sc[3])
		for i := 0; i < int(rec.NumRows()); i++ {
			if !window(w, &sc[0], i) {
				continue
			}
			sev := w.mSev.get(&sc[3], i, severityOf)
			if sev < 0 {
				return fmt.Errorf("%s: findings row %d: severity %q: want info, low, medium, high or critical", f.Path, i, sc[3].value(i))
			}
			a, err := w.asset(ctx, &sc[2], &sc[1], i)
			if err != nil {
				return err
			}
			if a < 0 {
				continue
			}
			v := uint8(labelScanned)
			if riskmap.Severity(sev).Serious() {
				v = labelSerious
			}
			mark(w, a, v)
		}
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for i := 0; i < snap.n; i++ {
		var v uint8
		for _, st := range states {
			if st != nil {
				v = max(v, st[i])
			}
		}
		if v != labelUnseen {
			out[snap.id(i)] = v == labelSerious
		}
	}
	return out, nil
}

// strColumns finds named string columns in a record.
func strColumns(rec arrow.RecordBatch, names []string) ([]strCol, error) {
	cols, err := columns(rec, names...)
	if err != nil {
		return nil, err
	}
	out := make([]strCol, len(cols))
	for i, c := range cols {
		if out[i], err = newStrCol(c); err != nil {
			return nil, fmt.Errorf("%s: %w", names[i], err)
		}
	}
	return out, nil
}
