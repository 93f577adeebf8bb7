package features

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/intel"
)

// BuildOptions configure Build.
type BuildOptions struct {
	// AsOf is the time the features describe. Nothing observed, found, imported or
	// published after it is read. Required.
	AsOf time.Time
	// BatchRows is the number of rows per record batch read and emitted; 0 means
	// datasets.DefaultBatchRows.
	BatchRows int
	// KEV is the catalog to match observed products against; nil means the kev table.
	// Either way only entries added at or before AsOf count.
	KEV *intel.KEV
	// Workers is the number of files read at once; 0 means GOMAXPROCS, at most 4. Each
	// worker holds per-asset state for the table being read, so memory grows with
	// Workers × assets; reading Parquet, not aggregating, bounds the speed past a few.
	Workers int
}

// Validate reports a bad option.
func (o BuildOptions) Validate() error {
	if o.AsOf.IsZero() {
		return errors.New("features: BuildOptions.AsOf is zero, want the time the features describe")
	}
	if o.BatchRows < 0 {
		return fmt.Errorf("features: BuildOptions.BatchRows is %d, want 0 (default) or more", o.BatchRows)
	}
	if o.Workers < 0 || o.Workers > 64 {
		return fmt.Errorf("features: BuildOptions.Workers is %d, want 0 (default) to 64", o.Workers)
	}
	return nil
}

func (o BuildOptions) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return min(runtime.GOMAXPROCS(0), 4)
}

func (o BuildOptions) batchRows() int {
	if o.BatchRows > 0 {
		return o.BatchRows
	}
	return datasets.DefaultBatchRows
}

// Stats says what a build read.
type Stats struct {
	Assets    int   // rows emitted: assets of the snapshot
	Snapshots int   // provider accounts whose latest snapshot was used
	Files     int   // scan-side files read
	Skipped   int   // scan-side files skipped because their footers prove every row is after AsOf
	Hosts     Count // rows of the hosts table
	Obs       Count // rows of the observations table
	Findings  Count // rows of the findings table
	Diffs     Count // rows of the diffs table
	KEV       int   // KEV entries in effect at AsOf
	EPSS      int   // CVEs with an EPSS score in effect at AsOf
}

// Count is what became of the rows of one table.
type Count struct {
	Used     int64 // joined to an asset of the snapshot, at or before AsOf
	Late     int64 // after AsOf, or of a scan that cannot be dated
	Unjoined int64 // no asset of the snapshot has the row's asset_id or address
}

// Build computes one row of features per asset of the inventory as of opts.AsOf (the
// latest snapshot of each provider account at or before it) and hands them to emit in
// record batches of the features table's schema (datasets.FeaturesSchema(Version, Names())),
// in a stable order. A batch is valid only during the call: emit must Retain it to keep
// it. An error from emit stops the build and is returned.
//
// Build streams the hosts, observations, findings and diffs tables and keeps only
// per-asset state, so its memory grows with the number of assets, not of observations. It
// never reads what happened after AsOf: rows of scans that started (or hosts scanned) after
// it, findings of such scans, later inventory snapshots, KEV entries added later, and EPSS
// scores dated later are all left out.
func Build(ctx context.Context, s *datasets.Store, opts BuildOptions, emit func(arrow.RecordBatch) error) (Stats, error) {
	e, stats, err := loadEstate(ctx, s, opts, false)
	if err != nil {
		return stats, err
	}
	return e.Features(ctx, emit)
}

// prepare loads what the streaming pass joins against: the scans, the snapshot and, when
// withIntel, the KEV entries and EPSS scores in effect. keepAssets keeps the snapshot's
// assets as domain values (Estate.Assets).
func prepare(ctx context.Context, s *datasets.Store, opts BuildOptions, withIntel, keepAssets bool) (*aggregator, error) {
	limit := opts.AsOf.UnixMicro()
	scans, err := loadScans(ctx, s, opts.batchRows())
	if err != nil {
		return nil, err
	}
	snap, err := loadSnapshot(ctx, s, opts.AsOf, opts.workers(), opts.batchRows(), keepAssets)
	if err != nil {
		return nil, err
	}
	var th *threat
	if withIntel {
		kev, err := kevAsOf(ctx, s, opts.KEV, limit, opts.batchRows())
		if err != nil {
			return nil, err
		}
		epss, err := epssAsOf(ctx, s, limit, opts.batchRows())
		if err != nil {
			return nil, err
		}
		th = &threat{kev: kev, epss: epss, cves: map[string]int32{}}
	}
	agg := newAggregator(s, limit, opts.batchRows(), opts.workers(), snap, scans, th)
	agg.stats.Snapshots = len(snap.chosen)
	if th != nil {
		agg.stats.KEV, agg.stats.EPSS = len(th.kev.Entries), len(th.epss)
	}
	return agg, nil
}

// readAll streams the scan-side tables; findings and diffs only when full.
func (a *aggregator) readAll(ctx context.Context, full bool) error {
	type pass struct {
		t              int
		table, timeCol string
		cols           []string
		batch          func(*worker, context.Context, datasets.File, arrow.RecordBatch) error
	}
	passes := []pass{
		{tHosts, datasets.TableHosts, "scan_time", hostColumns, (*worker).hostBatch},
		{tObs, datasets.TableObservations, "scan_time", obsColumns, (*worker).obsBatch},
	}
	if full {
		passes = append(passes,
			pass{tFinds, datasets.TableFindings, "", findColumns, (*worker).findBatch},
			pass{tDiffs, datasets.TableDiffs, "scan_time", diffColumns, (*worker).diffBatch})
	}
	for _, p := range passes {
		keep, err := a.skipLate(p.table, p.timeCol)
		if err != nil {
			return err
		}
		if err := a.read(ctx, p.table, p.cols, p.batch, keep); err != nil {
			return err
		}
		a.mergeTable(p.t)
	}
	a.count()
	return nil
}

// skipLate returns a filter that leaves out files whose footers prove every row is after
// the limit: their scan_time statistics, or for findings the single scan their scan_id
// statistics name. Such files are counted as skipped and their rows as late.
func (a *aggregator) skipLate(table, timeCol string) (func(datasets.File) bool, error) {
	files, err := a.store.Files(table)
	if err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	for _, f := range files {
		late, rows, err := a.lateFile(f, timeCol)
		if err != nil {
			return nil, err
		}
		if late {
			skip[f.Path] = true
			a.stats.Skipped++
			a.addLate(table, rows)
		}
	}
	return func(f datasets.File) bool { return !skip[f.Path] }, nil
}

// lateFile reports whether every row of f is after the limit, from its footer alone.
func (a *aggregator) lateFile(f datasets.File, timeCol string) (bool, int64, error) {
	strCol := ""
	if timeCol == "" {
		strCol = "scan_id"
	}
	ft, err := readFooter(f, timeCol, strCol)
	if err != nil {
		return false, 0, err
	}
	if timeCol != "" {
		return ft.hasTime && ft.minTime > a.limit, ft.rows, nil
	}
	if !ft.hasStr || ft.minStr != ft.maxStr {
		return false, ft.rows, nil
	}
	// findings of a scan the scans table cannot date are never read either
	n, ok := a.scans.ids[ft.minStr]
	return !ok || a.scans.started[n] == 0 || a.scans.done(n) > a.limit, ft.rows, nil
}

func (a *aggregator) addLate(table string, rows int64) {
	switch table {
	case datasets.TableHosts:
		a.stats.Hosts.Late += rows
	case datasets.TableObservations:
		a.stats.Obs.Late += rows
	case datasets.TableFindings:
		a.stats.Findings.Late += rows
	case datasets.TableDiffs:
		a.stats.Diffs.Late += rows
	}
}
