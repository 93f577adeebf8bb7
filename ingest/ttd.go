package ingest

import (
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/baseline"
)

// timeToDetect fills FirstPossible and DetectCycles of the new_port diffs of one host found by
// scan sc, from the host's earlier scans (cands): the first chance was the host's first scan
// after the last one that probed the port (and so did not find it open: the diff says it is
// new), or the host's first scan when none probed it; every earlier scan of the host from then
// on missed it, most of them because they did not probe the port.
func timeToDetect(ds []riskmap.Diff, sc riskmap.Scan, cands []baseline.Candidate) {
	for i := range ds {
		d := &ds[i]
		if d.Change != riskmap.ChangeNewPort || d.HostLevel() {
			continue
		}
		var lastProbed time.Time // zero: no earlier scan probed the port
		for _, c := range cands {
			if c.Scan.ID == sc.ID || !c.Scan.Started.Before(sc.Started) || c.Coverage == nil || !c.Coverage.Covers(d.Proto, d.Port) {
				continue
			}
			if c.Scan.Started.After(lastProbed) {
				lastProbed = c.Scan.Started
			}
		}
		first := sc.Started
		missed := 0
		for _, c := range cands {
			at := c.Scan.Started
			if c.Scan.ID == sc.ID || !at.Before(sc.Started) || (!lastProbed.IsZero() && !at.After(lastProbed)) {
				continue
			}
			missed++
			if at.Before(first) {
				first = at
			}
		}
		d.FirstPossible, d.DetectCycles = first, missed
	}
}
