package features

import (
	"context"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/riskmap/riskmap/datasets"
)

// mergeTable folds every worker's state of one table into the first worker's, and drops
// the others' copies, so that only one table at a time is held once per worker.
func (a *aggregator) mergeTable(t int) {
	base := a.workers[0]
	for _, w := range a.workers[1:] {
		switch t {
		case tHosts:
			base.hosts, w.hosts = mergeInto(base.hosts, w.hosts, (*hostAgg).merge), nil
		case tObs:
			base.obs, w.obs = mergeInto(base.obs, w.obs, (*obsAgg).merge), nil
		case tFinds:
			base.finds, w.finds = mergeInto(base.finds, w.finds, (*findAgg).merge), nil
		case tDiffs:
			base.diffs, w.diffs = mergeInto(base.diffs, w.diffs, (*diffAgg).merge), nil
		}
	}
}

// count totals the workers' row counts into the stats.
func (a *aggregator) count() {
	for _, w := range a.workers {
		for t, c := range []*Count{&a.stats.Hosts, &a.stats.Obs, &a.stats.Findings, &a.stats.Diffs} {
			c.Used += w.rows[t] - w.late[t] - w.unjoined[t]
			c.Late += w.late[t]
			c.Unjoined += w.unjoined[t]
		}
	}
}

func mergeInto[T any](dst, src []T, f func(*T, *T)) []T {
	if src == nil {
		return dst
	}
	if dst == nil {
		return src
	}
	for i := range src {
		f(&dst[i], &src[i])
	}
	return dst
}

// state returns asset i's merged state; a table that had no rows gives zero values.
func (a *aggregator) state(i int) (*obsAgg, *hostAgg, *findAgg, *diffAgg) {
	w := a.workers[0]
	o, h, f, d := &a.zero.obs, &a.zero.host, &a.zero.find, &a.zero.diff
	if w.obs != nil {
		o = &w.obs[i]
	}
	if w.hosts != nil {
		h = &w.hosts[i]
	}
	if w.finds != nil {
		f = &w.finds[i]
	}
	if w.diffs != nil {
		d = &w.diffs[i]
	}
	return o, h, f, d
}

// lastScan is the time key of the latest scan that covered asset i (0 if none).
func lastScan(o *obsAgg, h *hostAgg) int64 { return max(o.now, h.lastKey) }

// emit computes the rows and hands them over in batches.
func (a *aggregator) emit(ctx context.Context, opts BuildOptions, emit func(arrow.RecordBatch) error) error {
	n := a.snap.n
	a.stats.Assets = n
	if n == 0 {
		return nil
	}
	nb := a.neighbourhood()
	sb := a.siblings()
	b := array.NewRecordBuilder(a.store.Allocator(), datasets.FeaturesSchema(Version, Names()))
	defer b.Release()
	ids := b.Field(0).(*array.StringBuilder)
	asOf := b.Field(1).(*array.TimestampBuilder)
	ver := b.Field(2).(*array.StringBuilder)
	cols := make([]*array.Float32Builder, numFeatures)
	for k := range cols {
		cols[k] = b.Field(3 + k).(*array.Float32Builder)
	}
	ts := arrow.Timestamp(a.limit)
	batch := opts.batchRows()
	// Rows are computed in parallel into columns, then appended a column at a time.
	colBuf := make([][]float32, numFeatures)
	for k := range colBuf {
		colBuf[k] = make([]float32, min(batch, n))
	}
	scratch := make([]rowScratch, len(a.workers))
	for g := range scratch {
		scratch[g].unions = map[[2]int32]int32{}
	}
	for start := 0; start < n; start += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+batch, n)
		chunk := (end - start + len(scratch) - 1) / len(scratch)
		var wg sync.WaitGroup
		for g := range scratch {
			lo, hi := start+g*chunk, min(start+(g+1)*chunk, end)
			if lo >= hi {
				continue
			}
			wg.Add(1)
			go func(sc *rowScratch) {
				defer wg.Done()
				for i := lo; i < hi; i++ {
					a.row(i, sc, nb, sb)
					for k, v := range sc.row {
						colBuf[k][i-start] = v
					}
				}
			}(&scratch[g])
		}
		wg.Wait()
		b.Reserve(end - start)
		for i := start; i < end; i++ {
			ids.BinaryBuilder.Append(a.snap.idBytesOf(i))
			asOf.Append(ts)
			ver.Append(Version)
		}
		for k := range cols {
			cols[k].AppendValues(colBuf[k][:end-start], nil)
		}
		rec := b.NewRecordBatch()
		err := emit(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// rowScratch is one goroutine's working space for row.
type rowScratch struct {
	row    [numFeatures]float32
	cves   []int32
	unions map[[2]int32]int32
}

// row computes asset i's features into sc.row. It only reads shared state, so rows may be
// computed in parallel, each goroutine with its own scratch.
func (a *aggregator) row(i int, sc *rowScratch, nb *neighbourhood, sb *siblings) {
	out := &sc.row
	cves := sc.cves[:0]
	info := &a.snap.info[i]
	o, h, f, d := a.state(i)
	*out = [numFeatures]float32{}
	copy(out[:fScansSeen], info.static[:])
	if out[fOSLinux] == 0 && out[fOSWindows] == 0 {
		switch h.os {
		case osLinux:
			out[fOSLinux] = 1
		case osWindows:
			out[fOSWindows] = 1
		}
	}

	last := lastScan(o, h)
	scans := max(h.scansUp, o.scans)
	out[fScansSeen] = float32(scans)
	if last > 0 {
		out[fHoursSinceScan] = min(float32(float64(a.limit-last)/3.6e9), maxHours)
	} else {
		out[fHoursSinceScan], out[fNeverScanned] = maxHours, 1
	}
	out[fOpenPeak] = float32(o.peakOpen())
	var versioned, unscanned float32
	for p := range o.each {
		if p.last == 0 {
			continue
		}
		out[fOpenEver]++
		if p.last != last {
			continue
		}
		out[fOpenNow]++
		if c := p.info & infoClass; c != svcNone {
			out[fSvcTelnet+int(c)-svcTelnet]++
			out[fRiskyNow]++
		}
		if p.info&infoTLS != 0 {
			out[fTLSNow]++
		}
		if p.info&infoHTTP != 0 {
			out[fHTTPNow]++
		}
		if p.info&infoVersioned != 0 {
			versioned++
		}
		if a.internetReaches(info, p) {
			out[fInternetOpenNow]++
		}
		if p.match >= 0 {
			r := &a.threat.results[p.match]
			out[fKEVPorts]++
			if r.version {
				out[fKEVVersionPorts]++
			}
			out[fEPSSMaxKEV] = max(out[fEPSSMaxKEV], r.epss)
			cves = append(cves, r.cves...)
		}
	}
	if out[fOpenNow] > 0 {
		out[fVersionedShare] = versioned / out[fOpenNow]
	}
	slices.Sort(cves)
	out[fKEVCVEs] = float32(len(slices.Compact(cves)))
	out[fEPSSMaxFindings] = f.epss

	sev := f.counts
	out[fFindCritical], out[fFindHigh], out[fFindMedium], out[fFindLow], out[fFindInfo] =
		float32(sev[4]), float32(sev[3]), float32(sev[2]), float32(sev[1]), float32(sev[0])
	out[fSeriousScans] = float32(f.seriousScans)
	out[fDaysSinceSerious] = maxDays
	if f.seriousKey > 0 {
		out[fDaysSinceSerious] = min(float32(float64(a.limit-f.seriousKey)/8.64e10), maxDays)
	}

	out[fDiffNew], out[fDiffClosed], out[fDiffChanged], out[fDiffHost] =
		float32(d.added), float32(d.closed), float32(d.changed), float32(d.host)
	out[fChurn] = float32(d.total) / float32(max(scans, 1))

	var self int32
	if f.seriousScans > 0 {
		self = 1
	}
	out[fNbrImage] = nb.share(keyImage, info.image, self)
	out[fNbrGroup] = nb.share(keyGroup, info.group, self)
	out[fNbrSubnet] = nb.share(keySubnet, info.subnet, self)
	for _, k := range a.snap.sgsOf(info) {
		out[fNbrSG] = max(out[fNbrSG], nb.share(keySG, k, self))
	}
	out[fNbrImageSize] = nb.others(keyImage, info.image)
	out[fNbrGroupSize] = nb.others(keyGroup, info.group)

	out[fPredSibling] = float32(sb.predicted(info, o, sc.unions))
	for _, p := range a.snap.inetOf(info) {
		if !o.has(p) {
			unscanned++
		}
	}
	out[fPredUnscanned] = unscanned
	sc.cves = cves
}

// internetReaches reports whether the asset's rules open port p to the internet.
func (a *aggregator) internetReaches(info *assetInfo, p *portSeen) bool {
	if p.proto == protoTCP || p.proto == protoUDP {
		for _, r := range a.snap.rulesOf(info) {
			if r.internet && r.covers(p.proto, int(p.port)) {
				return true
			}
		}
	}
	return p.proto == protoTCP && slices.Contains(a.snap.inetOf(info), p.port)
}
