package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/findings"
	"github.com/riskmap/riskmap/features/intel"
	"github.com/riskmap/riskmap/features/nmapxml"
)

// NmapIngest is what one nmap XML input gave. Error is set (and the rest empty) when the
// input was refused.
type NmapIngest struct {
	File      string   `json:"file"`
	ScanID    string   `json:"scan_id"`
	HostsUp   int      `json:"hosts_up"`
	HostsDown int      `json:"hosts_down"`
	PortsOpen int      `json:"ports_open"`
	Complete  bool     `json:"complete"`
	Warnings  []string `json:"warnings"`
	Error     string   `json:"error,omitempty"`
	// Already is true when the same scan was in the workspace before: nothing was written.
	Already bool `json:"already_ingested"`
}

// Ingester writes scans and inventory into a workspace. It caches what it has read of the
// workspace (ingested scan ids, the IP -> asset index), so one Ingester serves many inputs.
type Ingester struct {
	W *datasets.Writer
	// Now stamps inventory snapshots; nil means time.Now.
	Now func() time.Time

	// Rules turn observations into findings; nil means the default rules.
	Rules *findings.Rules
	// Parse turns nmap XML into records: the XML's one parse. nil means nmapxml.Parse.
	Parse func(raw []byte, opts nmapxml.Options) (*nmapxml.Result, error)

	scans       map[string]bool
	serious     []riskmap.Finding // every serious finding recorded, once loaded
	assets      *assetIndex
	hist        *history
	intelLoaded bool
	kev         *intel.KEV
	epss        *intel.EPSS
}

// NewIngester returns an Ingester writing through w.
func NewIngester(w *datasets.Writer) *Ingester { return &Ingester{W: w} }

func (in *Ingester) now() time.Time {
	if in.Now != nil {
		return in.Now()
	}
	return time.Now()
}

// knownScans are the ids of the committed scans: those of the scan history, so the scans
// table is read once for both.
func (in *Ingester) knownScans(ctx context.Context) (map[string]bool, error) {
	if in.scans != nil {
		return in.scans, nil
	}
	h, err := in.history(ctx)
	if err != nil {
		return nil, err
	}
	in.scans = make(map[string]bool, len(h.scans))
	for id := range h.scans {
		in.scans[id] = true
	}
	return in.scans, nil
}

// Ingested is what an ingest wrote: the scan with its hosts, ports and findings.
type Ingested struct {
	Scan         riskmap.Scan
	Hosts        []riskmap.Host
	Observations []riskmap.Observation
	Findings     []riskmap.Finding
	Diffs        []riskmap.Diff
}

// Nmap ingests one nmap XML document. The raw bytes are kept under raw/nmap/<scan_id>.xml
// before parsing; a refused document's raw copy is removed again, so refused input leaves
// nothing behind. The scans row is written last: it is the commit mark of an ingest.
func (in *Ingester) Nmap(ctx context.Context, name string, raw []byte, profile string) (NmapIngest, *Ingested, error) {
	res := NmapIngest{File: name, ScanID: nmapxml.ScanID(raw)}
	known, err := in.knownScans(ctx)
	if err != nil {
		return res, nil, err
	}
	rawPath, err := in.W.WriteRaw("nmap", res.ScanID+".xml", raw)
	if err != nil {
		return res, nil, err
	}
	parse := in.Parse
	if parse == nil {
		parse = nmapxml.Parse
	}
	parsed, err := parse(raw, nmapxml.Options{Source: name})
	if err != nil {
		if !known[res.ScanID] {
			os.Remove(rawPath)
		}
		res.Error = err.Error()
		return res, nil, err
	}
	s := parsed.Scan
	s.ID = res.ScanID
	s.Profile = profile
	res.HostsUp, res.HostsDown, res.Complete, res.Warnings = s.HostsUp, s.HostsDown, s.Complete, parsed.Warnings
	for _, o := range parsed.Observations {
		if o.Open() {
			res.PortsOpen++
		}
	}
	if known[res.ScanID] {
		res.Already = true
		return res, &Ingested{Scan: s, Hosts: parsed.Hosts, Observations: parsed.Observations}, nil
	}
	ing, err := in.Record(ctx, s, parsed.Hosts, parsed.Observations)
	return res, ing, err
}

// Record writes a scan that is already parsed (by nmapxml, or simulated by the estate
// generator): it joins hosts and ports to assets by address at scan time, evaluates the
// findings rules, diffs each host against its baseline, and writes hosts, observations,
// findings and diffs, then the scans row last, as the commit mark.
func (in *Ingester) Record(ctx context.Context, s riskmap.Scan, hosts []riskmap.Host, obs []riskmap.Observation) (*Ingested, error) {
	known, err := in.knownScans(ctx)
	if err != nil {
		return nil, err
	}
	if known[s.ID] {
		return &Ingested{Scan: s, Hosts: hosts, Observations: obs}, nil
	}
	idx, err := in.assetIndex(ctx)
	if err != nil {
		return nil, err
	}
	// lookup joins an address to its asset; an index seeded with part of the inventory that
	// cannot answer as the whole table would is replaced by the whole table, read once.
	lookup := func(ip string) (*riskmap.Asset, error) {
		a, sure := idx.find(ip, s.Started)
		if sure {
			return a, nil
		}
		in.assets = nil
		if idx, err = in.assetIndex(ctx); err != nil {
			return nil, err
		}
		a, _ = idx.find(ip, s.Started)
		return a, nil
	}
	assetOf := map[string]*riskmap.Asset{}
	for i := range hosts {
		h := &hosts[i]
		h.ScanID = s.ID
		a, err := lookup(h.IP)
		if err != nil {
			return nil, err
		}
		if a != nil {
			h.AssetID, assetOf[h.IP] = a.ID, a
		}
	}
	for i := range obs {
		o := &obs[i]
		o.ScanID = s.ID
		a, err := lookup(o.IP)
		if err != nil {
			return nil, err
		}
		if a != nil {
			o.AssetID, assetOf[o.IP] = a.ID, a
		}
	}
	found, err := in.findings(ctx, hosts, obs, assetOf)
	if err != nil {
		return nil, err
	}
	changes, err := in.diffs(ctx, s, hosts, obs)
	if err != nil {
		return nil, err
	}
	if err := in.writeScan(ctx, s, hosts, obs, found, changes); err != nil {
		return nil, err
	}
	in.remember(in.hist, s, hosts, obs)
	if in.serious != nil {
		for _, f := range found {
			if f.Severity.Serious() {
				in.serious = append(in.serious, f)
			}
		}
	}
	known[s.ID] = true
	return &Ingested{Scan: s, Hosts: hosts, Observations: obs, Findings: found, Diffs: changes}, nil
}

func (in *Ingester) writeScan(ctx context.Context, s riskmap.Scan, hosts []riskmap.Host, obs []riskmap.Observation, found []riskmap.Finding, changes []riskmap.Diff) error {
	mem := in.W.Store().Allocator()
	part := datasets.DayPartition(s.Started)
	if len(hosts) > 0 {
		rec := datasets.HostsRecord(mem, hosts)
		err := in.W.WriteTable(datasets.TableHosts, part, s.ID, rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(obs) > 0 {
		rec := datasets.ObservationsRecord(mem, obs)
		err := in.W.WriteTable(datasets.TableObservations, part, s.ID, rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	if len(found) > 0 {
		rec := datasets.FindingsRecord(mem, found)
		err := in.W.WriteTable(datasets.TableFindings, part, s.ID, rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	if len(changes) > 0 {
		rec := datasets.DiffsRecord(mem, changes)
		err := in.W.WriteTable(datasets.TableDiffs, part, s.ID, rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	if err := in.writeCoverage(ctx, s, hosts, part); err != nil {
		return err
	}
	rec := datasets.ScansRecord(mem, []riskmap.Scan{s})
	defer rec.Release()
	return in.W.WriteTable(datasets.TableScans, part, s.ID, rec)
}

// Recover finishes ingests that a crash interrupted: every raw nmap file without a scans row
// is ingested again (file names are content hashes, so nothing is duplicated).
func (in *Ingester) Recover(ctx context.Context) ([]NmapIngest, error) {
	known, err := in.knownScans(ctx)
	if err != nil {
		return nil, err
	}
	dir := in.W.Store().RawPath("nmap", "")
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []NmapIngest
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || len(name) < 5 || name[len(name)-4:] != ".xml" || known[name[:len(name)-4]] {
			continue
		}
		raw, err := os.ReadFile(dir + "/" + name)
		if err != nil {
			return out, err
		}
		r, _, err := in.Nmap(ctx, "raw/nmap/"+name, raw, "")
		if err != nil && r.Error == "" {
			return out, fmt.Errorf("recover %s: %w", name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// assetIndex maps an IP to the asset that had it, per inventory snapshot, so that an address
// moved to another instance is joined to the right one at scan time.
type assetIndex struct {
	times []time.Time // snapshot times, ascending
	byIP  map[time.Time]map[string]*riskmap.Asset
	// partial marks an index seeded with some snapshots only (SeedAssets); others are the
	// times of the snapshots it lacks.
	partial bool
	others  []time.Time
}

// SeedAssets gives an Ingester that has not read the assets table yet its IP -> asset index
// from inventory rows already read (features.Estate.Inventory: the rows of the chosen
// snapshots, and the times of the others), so a cycle does not read the table again. A join
// that the rows cannot answer as the whole table would (an address they lack, or a scan from
// before a snapshot they lack) reads the table then. It does nothing once the index is loaded.
func (in *Ingester) SeedAssets(rows []riskmap.Asset, others []time.Time) {
	if in.assets != nil {
		return
	}
	idx := &assetIndex{byIP: map[time.Time]map[string]*riskmap.Asset{}, partial: true, others: others}
	idx.add(rows)
	in.assets = idx
}

// find is lookupAt's asset, and whether the whole inventory would give the same answer:
// always for a full index; for a partial one, when no snapshot it lacks could come first in
// lookupAt's order (one at or between the found snapshot and t, or before the found one when
// that is after t), or, for an address it lacks, when it lacks no snapshot.
func (x *assetIndex) find(ip string, t time.Time) (*riskmap.Asset, bool) {
	a, at := x.lookupAt(ip, t)
	if !x.partial || len(x.others) == 0 {
		return a, true
	}
	if a == nil {
		return nil, false
	}
	for _, o := range x.others {
		if at.After(t) && !o.After(at) || !at.After(t) && !o.Before(at) && !o.After(t) {
			return nil, false
		}
	}
	return a, true
}

func (in *Ingester) assetIndex(ctx context.Context) (*assetIndex, error) {
	if in.assets != nil {
		return in.assets, nil
	}
	idx := &assetIndex{byIP: map[time.Time]map[string]*riskmap.Asset{}}
	err := in.W.Store().Scan(ctx, datasets.TableAssets, datasets.ScanOptions{}, func(_ datasets.File, rec arrow.RecordBatch) error {
		assets, err := datasets.DecodeAssets(rec)
		if err != nil {
			return err
		}
		idx.add(assets)
		return nil
	})
	if err != nil {
		return nil, err
	}
	in.assets = idx
	return idx, nil
}

// add indexes the addresses of assets, each under its snapshot time.
func (x *assetIndex) add(assets []riskmap.Asset) {
	for i := range assets {
		a := &assets[i]
		m := x.byIP[a.SnapshotTime]
		if m == nil {
			m = map[string]*riskmap.Asset{}
			x.byIP[a.SnapshotTime] = m
			x.times = append(x.times, a.SnapshotTime)
		}
		for _, ip := range a.IPs() {
			if addr, err := netip.ParseAddr(ip); err == nil {
				m[addr.String()] = a
			}
		}
	}
	sort.Slice(x.times, func(i, j int) bool { return x.times[i].Before(x.times[j]) })
}

// lookupAt finds the asset that had ip in the latest snapshot at or before t, or else in the
// earliest snapshot after it, and the time of the snapshot it was found in.
func (x *assetIndex) lookupAt(ip string, t time.Time) (*riskmap.Asset, time.Time) {
	if len(x.times) == 0 {
		return nil, time.Time{}
	}
	i := sort.Search(len(x.times), func(i int) bool { return x.times[i].After(t) })
	order := make([]int, 0, len(x.times))
	for j := i - 1; j >= 0; j-- {
		order = append(order, j)
	}
	for j := i; j < len(x.times); j++ {
		order = append(order, j)
	}
	for _, j := range order {
		if a, ok := x.byIP[x.times[j]][ip]; ok {
			return a, x.times[j]
		}
	}
	return nil, time.Time{}
}
