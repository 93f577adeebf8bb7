package features

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// aggregator streams the scan-side tables into per-asset state as of one time.
type aggregator struct {
	store     *datasets.Store
	limit     int64 // AsOf in microseconds: nothing later is read
	batchRows int
	snap      *snapshot
	scans     *scanIndex
	threat    *threat // nil: observations are not matched against intel
	workers   []*worker
	stats     Stats
	seen      map[string]bool // scan-side files already read, by path
	zero      struct {        // the state of an asset that a table never mentions; never written
		obs  obsAgg
		host hostAgg
		find findAgg
		diff diffAgg
	}
}

// worker is one reader's private state.
type worker struct {
	id    int
	a     *aggregator
	obs   []obsAgg
	hosts []hostAgg
	finds []findAgg
	diffs []diffAgg

	extra map[string]int32 // scans missing from the scans table, numbered per worker

	scanOf, assetOf func(string) int32 // w.scanNumber and w.assetNumber, bound once
	nums            []int32            // asset numbers of the rows of a batch

	mScan, mAsset, mState, mProto, mSvc, mProd, mTunnel, mSev, mChange, mOS memo
	kevCache                                                                map[string]int32
	key                                                                     []byte
	cpes                                                                    []string

	rows, late, unjoined [numTables]int64
}

// Tables the aggregator reads, the index of the worker counters.
const (
	tHosts = iota
	tObs
	tFinds
	tDiffs
	numTables
)

func newAggregator(s *datasets.Store, limit int64, batchRows, workers int, snap *snapshot, scans *scanIndex, th *threat) *aggregator {
	a := &aggregator{store: s, limit: limit, batchRows: batchRows, snap: snap, scans: scans, threat: th}
	for i := 0; i < max(workers, 1); i++ {
		w := &worker{id: i, a: a, extra: map[string]int32{}, kevCache: map[string]int32{}}
		w.scanOf, w.assetOf = w.scanNumber, w.assetNumber
		a.workers = append(a.workers, w)
	}
	return a
}

// scan returns the number of scan id and its time key: the scan's start when the scans table
// knows it, else the row's own time. ok is false when the row is after the limit or cannot
// be dated at all.
func (w *worker) scan(sc *strCol, i int, rowTime int64, rowOK bool) (int32, int64, bool) {
	n := w.mScan.get(sc, i, w.scanOf)
	known := int(n) < len(w.a.scans.started)
	if rowOK && rowTime > w.a.limit {
		return n, 0, false
	}
	if known {
		if st := w.a.scans.started[n]; st != 0 {
			return n, st, st <= w.a.limit
		}
	}
	return n, rowTime, rowOK
}

// extraScans is the first number of a scan missing from the scans table.
const extraScans = 1 << 30

func (w *worker) scanNumber(id string) int32 {
	if n, ok := w.a.scans.ids[id]; ok {
		return n
	}
	if n, ok := w.extra[id]; ok {
		return n
	}
	// Past every number the scans table can give, even after Estate.Advance adds scans.
	n := extraScans + int32(w.id)<<24 + int32(len(w.extra))
	w.extra[strings.Clone(id)] = n
	return n
}

// resolve joins every row of a batch to its asset before the batch is processed: the
// lookups of one loop are independent, so the processor overlaps their cache misses
// instead of waiting for each. The slice is reused by the next call.
func (w *worker) resolve(ctx context.Context, id, ip *strCol, n int) ([]int32, error) {
	w.nums = w.nums[:0]
	for i := 0; i < n; i++ {
		a, err := w.asset(ctx, id, ip, i)
		if err != nil {
			return nil, err
		}
		w.nums = append(w.nums, a)
	}
	return w.nums, nil
}

// asset joins a row to an asset of the snapshot, by asset_id or else by IP.
func (w *worker) asset(ctx context.Context, id, ip *strCol, i int) (int32, error) {
	n := w.mAsset.get(id, i, w.assetOf)
	if n != -2 {
		return n, nil
	}
	if err := w.a.snap.loadIPs(ctx, w.a.store, w.a.batchRows); err != nil {
		return -1, err
	}
	return w.a.snap.asset("", ip.value(i)), nil
}

// assetNumber maps an asset_id to its number, -1 when the snapshot lacks it and -2 when the
// row has none (join by IP).
func (w *worker) assetNumber(id string) int32 {
	if id == "" {
		return -2
	}
	if v, ok := w.a.snap.index.lookup(id); ok {
		return v
	}
	return -1
}

func is(want string) func(string) int32 {
	return func(v string) int32 {
		if strings.EqualFold(v, want) {
			return 1
		}
		return 0
	}
}

// Memo functions, made once: a closure made per row would allocate.
var (
	isOpen     = is("open")
	isUp       = is("up")
	isSSL      = is("ssl")
	protoOf    = func(v string) int32 { return int32(protoCode(v)) }
	osOf       = func(v string) int32 { return int32(osFamily(v)) }
	serviceOf  = func(v string) int32 { return int32(serviceInfo(v)) }
	productOf  = func(v string) int32 { return int32(productClass(v)) }
	severityOf = func(v string) int32 {
		s, err := riskmap.ParseSeverity(v)
		if err != nil {
			return -1
		}
		return int32(s)
	}
)

func inc16(v *uint16) {
	if *v < math.MaxUint16 {
		*v++
	}
}

// bind resets memos for a new batch: each memo is paired with the column it caches, whose
// dictionary may differ from the last batch's.
func bind(pairs ...any) {
	for i := 0; i+1 < len(pairs); i += 2 {
		pairs[i].(*memo).reset(pairs[i+1].(*strCol))
	}
}

// forget drops every memo's cache: a new table binds memos to other columns.
func (w *worker) forget() {
	for _, m := range []*memo{&w.mScan, &w.mAsset, &w.mState, &w.mProto, &w.mSvc, &w.mProd, &w.mTunnel, &w.mSev, &w.mChange, &w.mOS} {
		m.forget()
	}
}

// read streams one table into the workers' state: the files of it that keep keeps and that
// no earlier read took (Estate.Advance reads only what was written since).
func (a *aggregator) read(ctx context.Context, table string, cols []string, batch func(w *worker, ctx context.Context, f datasets.File, rec arrow.RecordBatch) error, keep func(datasets.File) bool) error {
	for _, w := range a.workers {
		w.forget()
	}
	if a.seen == nil {
		a.seen = map[string]bool{}
	}
	once := func(f datasets.File) bool { // called for one file at a time, before the reads
		if a.seen[f.Path] || (keep != nil && !keep(f)) {
			return false
		}
		a.seen[f.Path] = true
		return true
	}
	n, err := tableRead{table: table, columns: cols, batchRows: a.batchRows, workers: len(a.workers), keep: once}.
		run(ctx, a.store, func(w int, f datasets.File, rec arrow.RecordBatch) error {
			return batch(a.workers[w], ctx, f, rec)
		})
	a.stats.Files += n
	if err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	return nil
}
