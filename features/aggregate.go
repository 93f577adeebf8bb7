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
	zero      struct { // the state of an asset that a table never mentions; never written
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

func (w *worker) scanNumber(id string) int32 {
	if n, ok := w.a.scans.ids[id]; ok {
		return n
	}
	if n, ok := w.extra[id]; ok {
		return n
	}
	n := int32(len(w.a.scans.started)) + int32(w.id)<<24 + int32(len(w.extra))
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

var hostColumns = []string{"scan_id", "scan_time", "ip", "asset_id", "status", "os_match"}

func (w *worker) hostBatch(ctx context.Context, f datasets.File, rec arrow.RecordBatch) error {
	cols, err := columns(rec, hostColumns...)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	var sc [6]strCol
	for _, k := range []int{0, 2, 3, 4, 5} {
		if sc[k], err = newStrCol(cols[k]); err != nil {
			return fmt.Errorf("%s: %s: %w", f.Path, hostColumns[k], err)
		}
	}
	tc, err := newTimeCol(cols[1])
	if err != nil {
		return fmt.Errorf("%s: scan_time: %w", f.Path, err)
	}
	if w.hosts == nil {
		w.hosts = make([]hostAgg, w.a.snap.n)
	}
	bind(&w.mScan, &sc[0], &w.mAsset, &sc[3], &w.mState, &sc[4], &w.mOS, &sc[5])
	n := int(rec.NumRows())
	w.rows[tHosts] += int64(n)
	nums, err := w.resolve(ctx, &sc[3], &sc[2], n)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		rt, rok := tc.at(i)
		scan, key, ok := w.scan(&sc[0], i, rt, rok)
		if !ok {
			w.late[tHosts]++
			continue
		}
		a := nums[i]
		if a < 0 {
			w.unjoined[tHosts]++
			continue
		}
		h := &w.hosts[a]
		h.lastKey = max(h.lastKey, key)
		if w.mState.get(&sc[4], i, isUp) == 1 && h.upScan != scan+1 {
			h.upScan = scan + 1
			inc16(&h.scansUp)
		}
		if os := uint8(w.mOS.get(&sc[5], i, osOf)); os != osUnknown && key >= h.osKey {
			h.osKey, h.os = key, os
		}
	}
	return nil
}

var obsColumns = []string{"scan_id", "scan_time", "ip", "asset_id", "port", "proto", "state", "service", "product", "version", "tunnel", "cpes"}

func (w *worker) obsBatch(ctx context.Context, f datasets.File, rec arrow.RecordBatch) error {
	cols, err := columns(rec, obsColumns...)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	var sc [11]strCol
	for _, k := range []int{0, 2, 3, 5, 6, 7, 8, 9, 10} {
		if sc[k], err = newStrCol(cols[k]); err != nil {
			return fmt.Errorf("%s: %s: %w", f.Path, obsColumns[k], err)
		}
	}
	tc, err := newTimeCol(cols[1])
	if err != nil {
		return fmt.Errorf("%s: scan_time: %w", f.Path, err)
	}
	ports, err := int32Col(cols[4])
	if err != nil {
		return fmt.Errorf("%s: port: %w", f.Path, err)
	}
	cpes, err := newStrListCol(cols[11])
	if err != nil {
		return fmt.Errorf("%s: cpes: %w", f.Path, err)
	}
	if w.obs == nil {
		w.obs = make([]obsAgg, w.a.snap.n)
	}
	scanCol, ipCol, idCol, protoCol, stateCol, svcCol, prodCol, verCol, tunCol := &sc[0], &sc[2], &sc[3], &sc[5], &sc[6], &sc[7], &sc[8], &sc[9], &sc[10]
	bind(&w.mScan, scanCol, &w.mAsset, idCol, &w.mState, stateCol, &w.mProto, protoCol, &w.mSvc, svcCol, &w.mProd, prodCol, &w.mTunnel, tunCol)
	n := int(rec.NumRows())
	w.rows[tObs] += int64(n)
	nums, err := w.resolve(ctx, idCol, ipCol, n)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		rt, rok := tc.at(i)
		scan, key, ok := w.scan(scanCol, i, rt, rok)
		if !ok {
			w.late[tObs]++
			continue
		}
		a := nums[i]
		if a < 0 {
			w.unjoined[tObs]++
			continue
		}
		o := &w.obs[a]
		if o.runScan != scan+1 {
			o.peak = max(o.peak, o.runOpen)
			o.runScan, o.runOpen = scan+1, 0
			inc16(&o.scans)
		}
		o.now = max(o.now, key)
		port := int(ports[i])
		p := o.port(clampPort(port), uint8(w.mProto.get(protoCol, i, protoOf)))
		if w.mState.get(stateCol, i, isOpen) != 1 {
			continue
		}
		inc16(&o.runOpen)
		if key < p.last {
			continue // an older scan: the port's latest state is already known
		}
		p.last = key
		svc := uint8(w.mSvc.get(svcCol, i, serviceOf))
		prod := uint8(w.mProd.get(prodCol, i, productOf))
		info := resolveClass(svc, prod, port)
		if svc&svcIsHTTP != 0 {
			info |= infoHTTP
		}
		if svc&svcIsTLS != 0 || w.mTunnel.get(tunCol, i, isSSL) == 1 {
			info |= infoTLS
		}
		version := verCol.value(i)
		if version != "" {
			info |= infoVersioned
		}
		p.info = info
		p.match = -1
		if w.a.threat != nil {
			p.match = w.kevMatch(&cpes, i, prodCol.value(i), version)
		}
	}
	return nil
}

// kevMatch returns the KEV match result of one observed identity, cached by its CPEs,
// product and version: a fleet runs few distinct builds.
func (w *worker) kevMatch(cpes *strListCol, i int, product, version string) int32 {
	s, e := cpes.span(i)
	if product == "" && s == e {
		return -1
	}
	k := append(w.key[:0], product...)
	k = append(k, 0)
	k = append(k, version...)
	for j := s; j < e; j++ {
		k = append(k, 0)
		k = append(k, cpes.v.value(j)...)
	}
	w.key = k
	if r, ok := w.kevCache[string(k)]; ok {
		return r
	}
	w.cpes = w.cpes[:0]
	for j := s; j < e; j++ {
		w.cpes = append(w.cpes, cpes.v.value(j))
	}
	r := w.a.threat.match(w.cpes, product, version)
	w.kevCache[string(k)] = r
	return r
}

var findColumns = []string{"scan_id", "asset_id", "ip", "severity", "cves"}

func (w *worker) findBatch(ctx context.Context, f datasets.File, rec arrow.RecordBatch) error {
	cols, err := columns(rec, findColumns...)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	var sc [4]strCol
	for k := range sc {
		if sc[k], err = newStrCol(cols[k]); err != nil {
			return fmt.Errorf("%s: %s: %w", f.Path, findColumns[k], err)
		}
	}
	cves, err := newStrListCol(cols[4])
	if err != nil {
		return fmt.Errorf("%s: cves: %w", f.Path, err)
	}
	if w.finds == nil {
		w.finds = make([]findAgg, w.a.snap.n)
	}
	bind(&w.mScan, &sc[0], &w.mAsset, &sc[1], &w.mSev, &sc[3])
	n := int(rec.NumRows())
	w.rows[tFinds] += int64(n)
	nums, err := w.resolve(ctx, &sc[1], &sc[2], n)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		// A finding has no time of its own: its scan must be known and over by the limit
		// (a scan that started before it may have found this after it).
		scan := w.mScan.get(&sc[0], i, w.scanOf)
		if done := w.a.scans.done(scan); done == 0 || done > w.a.limit || w.a.scans.started[scan] == 0 {
			w.late[tFinds]++
			continue
		}
		key := w.a.scans.started[scan]
		a := nums[i]
		if a < 0 {
			w.unjoined[tFinds]++
			continue
		}
		sev := w.mSev.get(&sc[3], i, severityOf)
		if sev < 0 {
			return fmt.Errorf("%s: findings row %d: severity %q: want info, low, medium, high or critical", f.Path, i, sc[3].value(i))
		}
		fa := &w.finds[a]
		if key > fa.lastKey {
			fa.lastKey, fa.counts = key, [5]uint16{}
		}
		if key == fa.lastKey {
			inc16(&fa.counts[sev])
		}
		if riskmap.Severity(sev).Serious() {
			if fa.seriousScan != scan+1 {
				fa.seriousScan = scan + 1
				inc16(&fa.seriousScans)
			}
			fa.seriousKey = max(fa.seriousKey, key)
		}
		if w.a.threat != nil {
			s, e := cves.span(i)
			for j := s; j < e; j++ {
				if v, ok := w.a.threat.lookupEPSS(cves.v.value(j)); ok && v > fa.epss {
					fa.epss = v
				}
			}
		}
	}
	return nil
}

var diffColumns = []string{"asset_id", "ip", "change", "scan_id", "scan_time"}

func (w *worker) diffBatch(ctx context.Context, f datasets.File, rec arrow.RecordBatch) error {
	cols, err := columns(rec, diffColumns...)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	var sc [4]strCol
	for k := range sc {
		if sc[k], err = newStrCol(cols[k]); err != nil {
			return fmt.Errorf("%s: %s: %w", f.Path, diffColumns[k], err)
		}
	}
	tc, err := newTimeCol(cols[4])
	if err != nil {
		return fmt.Errorf("%s: scan_time: %w", f.Path, err)
	}
	if w.diffs == nil {
		w.diffs = make([]diffAgg, w.a.snap.n)
	}
	bind(&w.mAsset, &sc[0], &w.mChange, &sc[2], &w.mScan, &sc[3])
	n := int(rec.NumRows())
	w.rows[tDiffs] += int64(n)
	nums, err := w.resolve(ctx, &sc[0], &sc[1], n)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		// A diff is made when its scan is over: a known scan must be over by the limit.
		rt, rok := tc.at(i)
		scan, key, ok := w.scan(&sc[3], i, rt, rok)
		if done := w.a.scans.done(scan); !ok || done > w.a.limit {
			w.late[tDiffs]++
			continue
		}
		a := nums[i]
		if a < 0 {
			w.unjoined[tDiffs]++
			continue
		}
		d := &w.diffs[a]
		if key > d.lastKey {
			d.lastKey, d.added, d.closed, d.changed, d.host = key, 0, 0, 0, 0
		}
		kind := w.mChange.get(&sc[2], i, changeKind)
		if kind >= changeNew && kind <= changePort {
			d.total++
		}
		if key != d.lastKey {
			continue
		}
		switch kind {
		case changeNew:
			inc16(&d.added)
		case changeClosed:
			inc16(&d.closed)
		case changePort:
			inc16(&d.changed)
		case changeHost:
			inc16(&d.host)
		}
	}
	return nil
}

func changeKind(v string) int32 {
	switch v {
	case riskmap.ChangeNewPort:
		return changeNew
	case riskmap.ChangeClosedPort:
		return changeClosed
	case riskmap.ChangeVersionChanged, riskmap.ChangeServiceChanged, riskmap.ChangeCPEChanged, riskmap.ChangePortStateChanged:
		return changePort
	case riskmap.ChangeNewHost, riskmap.ChangeHostGone, riskmap.ChangeOSChanged, riskmap.ChangeHostState:
		return changeHost
	}
	return changeOther
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

// read streams one table into the workers' state.
func (a *aggregator) read(ctx context.Context, table string, cols []string, batch func(w *worker, ctx context.Context, f datasets.File, rec arrow.RecordBatch) error, keep func(datasets.File) bool) error {
	for _, w := range a.workers {
		w.forget()
	}
	n, err := tableRead{table: table, columns: cols, batchRows: a.batchRows, workers: len(a.workers), keep: keep}.
		run(ctx, a.store, func(w int, f datasets.File, rec arrow.RecordBatch) error {
			return batch(a.workers[w], ctx, f, rec)
		})
	a.stats.Files += n
	if err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	return nil
}
