package ingest

import (
	"context"
	"strings"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/baseline"
)

// fallbackBaseline is the most recent complete earlier scan of a host with a known port
// coverage, for when no earlier scan probed every port the current one did: the port-space
// sweep gives a host a different port list every cycle, and the diff then compares the ports
// both scans probed (baseline.Diff never claims more).
//
// A current scan whose ports are unknown (--top-ports) gets no fallback: Diff would take it to
// have probed every port, and report the baseline's other open ports as closed.
func fallbackBaseline(current baseline.Candidate, cands []baseline.Candidate) (riskmap.Scan, baseline.Coverage, bool) {
	if current.Coverage == nil {
		return riskmap.Scan{}, nil, false
	}
	var best *baseline.Candidate
	for i := range cands {
		c := &cands[i]
		if c.Scan.ID == current.Scan.ID || !c.Scan.Complete || c.Coverage == nil || !c.Scan.Started.Before(current.Scan.Started) {
			continue
		}
		if best == nil || c.Scan.Started.After(best.Scan.Started) {
			best = c
		}
	}
	if best == nil {
		return riskmap.Scan{}, nil, false
	}
	return best.Scan, best.Coverage, true
}

// uncoveredOpen reports, as new_port diffs, the ports of host open in the current scan that
// its baseline did not probe (baseCov; nil when there is no baseline): each is checked against
// the latest earlier scan of the host that probed it. Open there: no change. Not open there,
// or never probed by any earlier scan with a known port list: the port is new. This is how a
// service on a port no list names, found by the sweep, becomes a diff (and, when serious, an
// alert). Hosts with no baseline (no earlier scan, or none whose ports are known) get no diff,
// as before.
func (in *Ingester) uncoveredOpen(ctx context.Context, h *history, sc riskmap.Scan, host riskmap.Host, obs []riskmap.Observation, cands []baseline.Candidate, baseCov baseline.Coverage, hasBase bool) ([]riskmap.Diff, error) {
	if len(cands) == 0 || !hasBase {
		return nil, nil
	}
	key := hostKey(host.AssetID, host.IP)
	var out []riskmap.Diff
	for _, o := range obs {
		if !o.Open() || o.Port <= 0 || (hasBase && baseCov.Covers(o.Proto, o.Port)) {
			continue
		}
		var prev *baseline.Candidate
		for i := range cands {
			c := &cands[i]
			if c.Scan.ID == sc.ID || !c.Scan.Started.Before(sc.Started) || c.Coverage == nil || !c.Coverage.Covers(o.Proto, o.Port) {
				continue
			}
			if prev == nil || c.Scan.Started.After(prev.Scan.Started) {
				prev = c
			}
		}
		d := riskmap.Diff{AssetID: host.AssetID, IP: host.IP, Port: o.Port, Proto: o.Proto, Change: riskmap.ChangeNewPort,
			After: strings.TrimSpace(o.State + " " + o.Service + " " + o.Product + " " + o.Version), ScanID: sc.ID, ScanTime: sc.Started}
		if prev != nil {
			snap, err := in.snapshot(ctx, h, prev.Scan.ID)
			if err != nil {
				return nil, err
			}
			before := "not open"
			wasOpen := false
			for _, po := range snap.Observations {
				if po.Port == o.Port && po.Proto == o.Proto && hostKey(po.AssetID, po.IP) == key {
					before, wasOpen = po.State, po.Open()
				}
			}
			if wasOpen {
				continue
			}
			d.Before, d.BaselineScanID = before, prev.Scan.ID
		}
		out = append(out, d)
	}
	return out, nil
}
