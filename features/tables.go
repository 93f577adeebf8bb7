package features

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// The batch functions of the four scan-side tables. Each joins its rows to assets (resolve),
// drops what is after the limit, and folds the rest into the worker's per-asset state.

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
