package baseline

import "github.com/riskmap/riskmap"

// Candidate is a scan that could serve as a baseline, with the ports it probed (nil when
// unknown). The caller passes the scans that included the asset in question, so that the
// choice is per asset.
type Candidate struct {
	Scan     riskmap.Scan
	Coverage Coverage
}

// AutoBaseline picks the baseline for current among history, the "auto" choice: the most
// recent scan that
//
//   - is not current itself and started before it (when current has a start time),
//   - is complete (a truncated run would report its unscanned ports as closed), and
//   - probed every port current probed (Coverage.Contains), so that a port current saw is
//     never reported new merely because the baseline did not look. When current's coverage is
//     unknown, only a candidate whose coverage is unknown too and whose profile is the same
//     qualifies: the same tier scans the same port list.
//
// Recency is Scan.Started, then Scan.Finished, then the larger ID, so the choice is
// deterministic. The result's ok is false when nothing qualifies; Diff then has no
// baseline, and the caller should say so rather than diff against an empty scan.
//
// A baseline that probed more ports than current is fine: Diff compares only the ports both
// covered.
func AutoBaseline(current Candidate, history []Candidate) (riskmap.Scan, bool) {
	var best *Candidate
	for i := range history {
		c := &history[i]
		if c.Scan.ID == current.Scan.ID || !c.Scan.Complete {
			continue
		}
		if !current.Scan.Started.IsZero() && !c.Scan.Started.Before(current.Scan.Started) {
			continue
		}
		if current.Coverage == nil {
			if c.Coverage != nil || c.Scan.Profile != current.Scan.Profile {
				continue
			}
		} else if !c.Coverage.Contains(current.Coverage) {
			continue
		}
		if best == nil || newer(c.Scan, best.Scan) {
			best = c
		}
	}
	if best == nil {
		return riskmap.Scan{}, false
	}
	return best.Scan, true
}

func newer(a, b riskmap.Scan) bool {
	if !a.Started.Equal(b.Started) {
		return a.Started.After(b.Started)
	}
	if !a.Finished.Equal(b.Finished) {
		return a.Finished.After(b.Finished)
	}
	return a.ID > b.ID
}
