package ingest

import (
	"context"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/baseline"
)

// history is what the Ingester knows of earlier scans for choosing baselines: every scan, and
// which scans saw which host (by asset id when known, else by IP).
//
// snaps caches whole scans for use as baselines: those read from the tables, and those the
// Ingester recorded itself (kept as recorded, so a cycle never reads back the scan it wrote
// an hour ago). A recorded scan is dropped from the cache (ForgetSuperseded) once, for every
// host it saw, a later scan was recorded that would be chosen over it; a baseline not in the
// cache is read from the tables, so the cache changes what is read, never what is chosen.
type history struct {
	scans  map[string]riskmap.Scan
	byHost map[string][]string // host key -> scan ids
	snaps  map[string]*baseline.Snapshot

	cached map[string][]string // host key -> scans recorded by the Ingester, in snaps
}

// ForgetSuperseded drops from memory the recorded scans that no later scan can need: for every
// host they saw, a later recorded scan supersedes them (it would be chosen as the baseline and
// probed every port they did) and they are not among the host's recentScans newest scans
// (security-group validation looks at those). Call it when no scan is in flight (a cycle calls
// it at its end): until then a scan that started earlier but is recorded later may still need
// one of them. A baseline not in memory is read from the tables.
func (in *Ingester) ForgetSuperseded() {
	h := in.hist
	if h == nil {
		return
	}
	needed := map[string]bool{}
	recorded := map[string]bool{}
	for k, ids := range h.cached {
		var keep []string
		for _, id := range ids {
			recorded[id] = true
			s := h.snaps[id]
			if s == nil {
				continue
			}
			newer, superseded := 0, false
			for _, other := range ids {
				o := h.snaps[other]
				if other == id || o == nil || !newerScan(o.Scan, s.Scan) {
					continue
				}
				newer++
				superseded = superseded || supersedes(o.Scan, o.Coverage, s)
			}
			if !superseded || newer < recentScans {
				keep = append(keep, id)
				needed[id] = true
			}
		}
		h.cached[k] = keep
	}
	for id := range recorded {
		if !needed[id] {
			delete(h.snaps, id)
		}
	}
}

func hostKey(assetID, ip string) string {
	if assetID != "" {
		return "asset:" + assetID
	}
	return "ip:" + ip
}

func (in *Ingester) history(ctx context.Context) (*history, error) {
	if in.hist != nil {
		return in.hist, nil
	}
	h := &history{scans: map[string]riskmap.Scan{}, byHost: map[string][]string{}, snaps: map[string]*baseline.Snapshot{},
		cached: map[string][]string{}}
	s := in.W.Store()
	scans, err := datasets.ReadAll(ctx, s, datasets.TableScans, nil, datasets.DecodeScans)
	if err != nil {
		return nil, err
	}
	for _, sc := range scans {
		h.scans[sc.ID] = sc
	}
	err = s.Scan(ctx, datasets.TableHosts, datasets.ScanOptions{Columns: []string{"scan_id", "ip", "asset_id", "status"}},
		func(_ datasets.File, rec arrow.RecordBatch) error {
			hosts, err := datasets.DecodeHosts(rec)
			if err != nil {
				return err
			}
			for _, x := range hosts {
				if _, committed := h.scans[x.ScanID]; committed {
					k := hostKey(x.AssetID, x.IP)
					h.byHost[k] = append(h.byHost[k], x.ScanID)
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	in.hist = h
	return h, nil
}

// snapshot loads one stored scan whole (cached: a baseline serves many hosts).
func (in *Ingester) snapshot(ctx context.Context, h *history, scanID string) (*baseline.Snapshot, error) {
	if s, ok := h.snaps[scanID]; ok {
		return s, nil
	}
	sc := h.scans[scanID]
	snap, err := LoadSnapshot(ctx, in.W.Store(), sc)
	if err != nil {
		return nil, err
	}
	h.snaps[scanID] = snap
	return snap, nil
}

// LoadSnapshot reads a stored scan's hosts and ports.
func LoadSnapshot(ctx context.Context, s *datasets.Store, sc riskmap.Scan) (*baseline.Snapshot, error) {
	only := func(f datasets.File) bool { return f.ID() == sc.ID }
	hosts, err := datasets.ReadAll(ctx, s, datasets.TableHosts, only, datasets.DecodeHosts)
	if err != nil {
		return nil, err
	}
	obs, err := datasets.ReadAll(ctx, s, datasets.TableObservations, only, datasets.DecodeObservations)
	if err != nil {
		return nil, err
	}
	snap, err := baseline.NewSnapshot(sc, hosts, obs)
	if err != nil {
		return nil, err
	}
	return &snap, nil
}

// diffs compares each host of a new scan with its own baseline: the most recent complete
// earlier scan that saw the same asset and probed at least the same ports (baseline.AutoBaseline).
// Hosts with no such scan get no diff; a host that a baseline had and this scan did not is
// not reported here, because a scan of other targets says nothing about it (riskmap diff on
// two whole scans reports it).
func (in *Ingester) diffs(ctx context.Context, sc riskmap.Scan, hosts []riskmap.Host, obs []riskmap.Observation) ([]riskmap.Diff, error) {
	h, err := in.history(ctx)
	if err != nil {
		return nil, err
	}
	cov, err := baseline.ScanCoverage(sc)
	if err != nil {
		return nil, err
	}
	current := baseline.Candidate{Scan: sc, Coverage: cov}
	byIP := map[string][]riskmap.Observation{}
	for _, o := range obs {
		byIP[o.IP] = append(byIP[o.IP], o)
	}
	var out []riskmap.Diff
	for _, host := range hosts {
		var cands []baseline.Candidate
		for _, id := range h.byHost[hostKey(host.AssetID, host.IP)] {
			prev := h.scans[id]
			pc, err := baseline.ScanCoverage(prev)
			if err != nil {
				continue // a stored scan whose -p does not parse cannot be shown to cover this one
			}
			cands = append(cands, baseline.Candidate{Scan: prev, Coverage: pc})
		}
		base, ok := baseline.AutoBaseline(current, cands)
		var baseCov baseline.Coverage
		if ok {
			baseCov, _ = baseline.CoverageFromArgs(base.Args)
		} else {
			base, baseCov, ok = fallbackBaseline(current, cands)
		}
		extra, err := in.uncoveredOpen(ctx, h, sc, host, byIP[host.IP], cands, baseCov, ok)
		if err != nil {
			return nil, err
		}
		timeToDetect(extra, sc, cands)
		out = append(out, extra...)
		if !ok {
			continue
		}
		after, err := baseline.NewSnapshot(sc, []riskmap.Host{host}, byIP[host.IP])
		if err != nil {
			return nil, err
		}
		changes, err := in.hostDiff(ctx, h, base, host, after)
		if err != nil {
			return nil, err
		}
		// A scan without version detection (-sV) only guesses service names from the port
		// number and knows no product or version, so its comparison covers port states only.
		// When this scan has -sV and its baseline has not, services and versions are
		// compared with the latest -sV scan of the asset instead.
		if versionScan(sc.Args) && !versionScan(base.Args) {
			var vcands []baseline.Candidate
			for _, c := range cands {
				if versionScan(c.Scan.Args) {
					vcands = append(vcands, c)
				}
			}
			if vbase, ok := baseline.AutoBaseline(current, vcands); ok {
				vchanges, err := in.hostDiff(ctx, h, vbase, host, after)
				if err != nil {
					return nil, err
				}
				for _, d := range vchanges {
					switch d.Change {
					case riskmap.ChangeServiceChanged, riskmap.ChangeVersionChanged, riskmap.ChangeCPEChanged, riskmap.ChangeOSChanged:
						changes = append(changes, d)
					}
				}
			}
		}
		timeToDetect(changes, sc, cands)
		out = append(out, changes...)
	}
	return out, nil
}

// hostDiff compares one host of the current scan with its state in the baseline scan base.
func (in *Ingester) hostDiff(ctx context.Context, h *history, base riskmap.Scan, host riskmap.Host, after baseline.Snapshot) ([]riskmap.Diff, error) {
	bs, err := in.snapshot(ctx, h, base.ID)
	if err != nil {
		return nil, err
	}
	key := hostKey(host.AssetID, host.IP)
	before := baseline.Snapshot{Scan: bs.Scan, Coverage: bs.Coverage}
	for _, bh := range bs.Hosts {
		if hostKey(bh.AssetID, bh.IP) != key {
			continue
		}
		ip := bh.IP
		bh.IP = host.IP // an asset keeps its history when its address moves
		before.Hosts = append(before.Hosts, bh)
		for _, o := range bs.Observations {
			if o.IP == ip {
				o.IP = host.IP
				before.Observations = append(before.Observations, o)
			}
		}
	}
	if !versionScan(after.Scan.Args) || !versionScan(base.Args) {
		before.Observations = portStatesOnly(before.Observations)
		after.Observations = portStatesOnly(after.Observations)
	}
	var out []riskmap.Diff
	for _, d := range baseline.Diff(before, after) {
		d.AssetID = host.AssetID
		d.ScanID, d.BaselineScanID, d.ScanTime = after.Scan.ID, base.ID, after.Scan.Started
		out = append(out, d)
	}
	return out, nil
}

// remember adds a committed scan to the history, and its hosts and ports to the baselines
// kept in memory (ForgetSuperseded drops those no later scan can need).
func (in *Ingester) remember(h *history, sc riskmap.Scan, hosts []riskmap.Host, obs []riskmap.Observation) {
	h.scans[sc.ID] = sc
	keys := map[string]bool{}
	for _, x := range hosts {
		k := hostKey(x.AssetID, x.IP)
		h.byHost[k] = append(h.byHost[k], sc.ID)
		keys[k] = true
	}
	// copies: the caller keeps the slices it recorded
	snap, err := baseline.NewSnapshot(sc, slices.Clone(hosts), slices.Clone(obs))
	if err != nil {
		return // a scan whose coverage does not parse is never a baseline
	}
	h.snaps[sc.ID] = &snap
	for k := range keys {
		h.cached[k] = append(h.cached[k], sc.ID)
	}
}

// supersedes reports whether, for a later scan of a host both saw, sc would be chosen over old
// as its baseline (AutoBaseline), its -sV baseline, and for every port old probed (the latest
// earlier scan that probed a port outside the baseline's list): sc is complete, newer, probed
// every port old did, and ran version detection if old did.
func supersedes(sc riskmap.Scan, cov baseline.Coverage, old *baseline.Snapshot) bool {
	if old == nil || !sc.Complete || !newerScan(sc, old.Scan) || (versionScan(old.Scan.Args) && !versionScan(sc.Args)) {
		return false
	}
	if cov == nil || old.Coverage == nil {
		return cov == nil && old.Coverage == nil && sc.Profile == old.Scan.Profile
	}
	return cov.Contains(old.Coverage)
}

// newerScan is AutoBaseline's order of recency: start, then end, then the larger id.
func newerScan(a, b riskmap.Scan) bool {
	if !a.Started.Equal(b.Started) {
		return a.Started.After(b.Started)
	}
	if !a.Finished.Equal(b.Finished) {
		return a.Finished.After(b.Finished)
	}
	return a.ID > b.ID
}

// versionScan reports whether nmap's arguments asked for version detection.
func versionScan(args string) bool {
	for _, a := range strings.Fields(args) {
		if a == "-sV" || a == "-A" || strings.HasPrefix(a, "--version-") {
			return true
		}
	}
	return false
}

// portStatesOnly keeps what every scan knows of a port: its number, protocol and state.
func portStatesOnly(obs []riskmap.Observation) []riskmap.Observation {
	out := make([]riskmap.Observation, len(obs))
	for i, o := range obs {
		out[i] = riskmap.Observation{ScanID: o.ScanID, ScanTime: o.ScanTime, IP: o.IP, AssetID: o.AssetID, Port: o.Port, Proto: o.Proto, State: o.State, Reason: o.Reason}
	}
	return out
}
