package engine

import (
	"context"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/baseline"
)

// history is what the Ingester knows of earlier scans for choosing baselines: every scan, and
// which scans saw which host (by asset id when known, else by IP).
type history struct {
	scans  map[string]riskmap.Scan
	byHost map[string][]string // host key -> scan ids
	snaps  map[string]*baseline.Snapshot
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
	h := &history{scans: map[string]riskmap.Scan{}, byHost: map[string][]string{}, snaps: map[string]*baseline.Snapshot{}}
	s := in.W.Store()
	scans, err := datasets.ReadAll(ctx, s, datasets.TableScans, nil, datasets.DecodeScans)
	if err != nil {
		return nil, err
	}
	for _, sc := range scans {
		h.scans[sc.ID] = sc
	}
	err = s.Scan(ctx, datasets.TableHosts, datasets.ScanOptions{Columns: []string{"scan_id", "ip", "asset_id", "status"}},
		func(_ datasets.File, rec arrowRecord) error {
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
	cov, _ := baseline.CoverageFromArgs(sc.Args)
	return &baseline.Snapshot{Scan: sc, Hosts: hosts, Observations: obs, Coverage: cov}, nil
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
	cov, _ := baseline.CoverageFromArgs(sc.Args)
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
			pc, _ := baseline.CoverageFromArgs(prev.Args)
			cands = append(cands, baseline.Candidate{Scan: prev, Coverage: pc})
		}
		base, ok := baseline.AutoBaseline(current, cands)
		if !ok {
			continue
		}
		bs, err := in.snapshot(ctx, h, base.ID)
		if err != nil {
			return nil, err
		}
		before := baseline.Snapshot{Scan: bs.Scan, Coverage: bs.Coverage}
		for _, bh := range bs.Hosts {
			if hostKey(bh.AssetID, bh.IP) == hostKey(host.AssetID, host.IP) {
				before.Hosts = append(before.Hosts, bh)
				ip := bh.IP
				for _, o := range bs.Observations {
					if o.IP == ip {
						before.Observations = append(before.Observations, o)
					}
				}
			}
		}
		// Compare under the current address: an asset keeps its history when its IP moves.
		for i := range before.Hosts {
			before.Hosts[i].IP = host.IP
		}
		for i := range before.Observations {
			before.Observations[i].IP = host.IP
		}
		after := baseline.Snapshot{Scan: sc, Hosts: []riskmap.Host{host}, Observations: byIP[host.IP], Coverage: cov}
		for _, d := range baseline.Diff(before, after) {
			d.AssetID = host.AssetID
			d.ScanID, d.BaselineScanID, d.ScanTime = sc.ID, base.ID, sc.Started
			out = append(out, d)
		}
	}
	return out, nil
}

// remember adds a committed scan to the history.
func (h *history) remember(sc riskmap.Scan, hosts []riskmap.Host) {
	h.scans[sc.ID] = sc
	for _, x := range hosts {
		k := hostKey(x.AssetID, x.IP)
		h.byHost[k] = append(h.byHost[k], sc.ID)
	}
}
