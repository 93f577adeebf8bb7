package report

import (
	"context"
	"fmt"
	"slices"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

// detectRow is one new open port and its time to detect.
type detectRow struct {
	Asset, IP, Port, Found, LastProbed, Cycles string
}

// maxDetectRows bounds the table; the summary counts them all.
const maxDetectRows = 50

// detections is the report's time-to-detect table (newest first) and its summary line.
func detections(ctx context.Context, s *datasets.Store) ([]detectRow, string, error) {
	ds, err := features.Detections(ctx, s)
	if err != nil {
		return nil, "", err
	}
	var rows []detectRow
	var timed []int
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		r := detectRow{Asset: d.Diff.AssetID, IP: d.Diff.IP, Port: fmt.Sprintf("%d/%s", d.Diff.Port, d.Diff.Proto),
			Found: d.Diff.ScanTime.UTC().Format("2006-01-02 15:04"), LastProbed: "never (first probe)", Cycles: "-"}
		if !d.LastProbed.IsZero() {
			r.LastProbed = d.LastProbed.UTC().Format("2006-01-02 15:04")
		}
		if d.Cycles >= 0 {
			r.Cycles = fmt.Sprint(d.Cycles)
			timed = append(timed, d.Cycles)
		}
		if len(rows) < maxDetectRows {
			rows = append(rows, r)
		}
	}
	if len(ds) == 0 {
		return nil, "", nil
	}
	summary := fmt.Sprintf("%d new open ports; %d with a previous probe to time them against", len(ds), len(timed))
	if len(timed) > 0 {
		slices.Sort(timed)
		summary += fmt.Sprintf(": time to detect median %d, max %d cycles after the first cycle that could have found them", timed[len(timed)/2], timed[len(timed)-1])
	}
	return rows, summary, nil
}
