package features

import (
	"context"
	"sort"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// Detection is how long a new open port took to find: the diff that reported it, when the
// port was last probed before (and so could first have been found after), and the cycles in
// between.
type Detection struct {
	Diff riskmap.Diff
	// LastProbed is the latest scan before the diff's that probed the port (the coverage
	// table); zero when none did, and then the diff's scan was the first to probe it.
	LastProbed time.Time
	// Cycles is the time to detect, in cycles: how many cycles started after LastProbed and
	// before the one that found the port (0: found by the first cycle that could). -1 when
	// LastProbed is zero or the workspace has no cycles to count.
	Cycles int
}

// Detections returns, for every new_port diff in the workspace, its time to detect, oldest
// first. It reads the diffs, coverage and cycles tables.
func Detections(ctx context.Context, s *datasets.Store) ([]Detection, error) {
	diffs, err := datasets.ReadAll(ctx, s, datasets.TableDiffs, nil, datasets.DecodeDiffs)
	if err != nil {
		return nil, err
	}
	cov, err := datasets.ReadAll(ctx, s, datasets.TableCoverage, nil, datasets.DecodeCoverage)
	if err != nil {
		return nil, err
	}
	cycles, err := datasets.ReadCycles(ctx, s)
	if err != nil {
		return nil, err
	}
	byAddr := map[string][]datasets.Coverage{}
	for _, c := range cov {
		byAddr[c.IP+"/"+c.Proto] = append(byAddr[c.IP+"/"+c.Proto], c)
	}
	starts := make([]time.Time, 0, len(cycles))
	for _, c := range cycles {
		starts = append(starts, c.Started)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	var out []Detection
	for _, d := range diffs {
		if d.Change != riskmap.ChangeNewPort {
			continue
		}
		det := Detection{Diff: d, Cycles: -1}
		for _, c := range byAddr[d.IP+"/"+d.Proto] {
			if !c.ScanTime.Before(d.ScanTime) || !c.ScanTime.After(det.LastProbed) {
				continue
			}
			for _, r := range c.Ranges {
				if d.Port >= r.From && d.Port <= r.To {
					det.LastProbed = c.ScanTime
					break
				}
			}
		}
		if !det.LastProbed.IsZero() && len(starts) > 0 {
			// Cycles that started after the last probe, up to the one that found the port.
			lo := sort.Search(len(starts), func(i int) bool { return starts[i].After(det.LastProbed) })
			hi := sort.Search(len(starts), func(i int) bool { return starts[i].After(d.ScanTime) })
			det.Cycles = max(hi-lo-1, 0)
		}
		out = append(out, det)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Diff.ScanTime.Before(out[j].Diff.ScanTime) })
	return out, nil
}
