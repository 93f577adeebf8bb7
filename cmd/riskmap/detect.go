package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/riskmap/riskmap/features"
)

// detectionJSON is one line of `riskmap diff --detect --json`.
type detectionJSON struct {
	AssetID    string `json:"asset_id"`
	IP         string `json:"ip"`
	Port       int    `json:"port"`
	Proto      string `json:"proto"`
	Found      string `json:"found"`
	ScanID     string `json:"scan_id"`
	LastProbed string `json:"last_probed,omitempty"`
	// Cycles is the time to detect in cycles (0: found by the first cycle that could); -1 when
	// no earlier scan probed the port.
	Cycles int `json:"detect_cycles"`
}

// printDetections lists every new open port with its time to detect.
func (m *Main) printDetections(ctx context.Context, asJSON bool) error {
	s, err := m.store()
	if err != nil {
		return err
	}
	ds, err := features.Detections(ctx, s)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(m.Stdout)
		for _, d := range ds {
			j := detectionJSON{AssetID: d.Diff.AssetID, IP: d.Diff.IP, Port: d.Diff.Port, Proto: d.Diff.Proto,
				Found: d.Diff.ScanTime.UTC().Format("2006-01-02T15:04:05Z"), ScanID: d.Diff.ScanID, Cycles: d.Cycles}
			if !d.LastProbed.IsZero() {
				j.LastProbed = d.LastProbed.UTC().Format("2006-01-02T15:04:05Z")
			}
			if err := enc.Encode(j); err != nil {
				return err
			}
		}
		return nil
	}
	if len(ds) == 0 {
		fmt.Fprintln(m.Stdout, "no new open ports")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ASSET\tPORT\tFOUND\tLAST PROBED BEFORE\tCYCLES TO DETECT")
	for _, d := range ds {
		last, cycles := "never", "-"
		if !d.LastProbed.IsZero() {
			last = d.LastProbed.UTC().Format("2006-01-02 15:04")
		}
		if d.Cycles >= 0 {
			cycles = fmt.Sprint(d.Cycles)
		}
		fmt.Fprintf(tw, "%s\t%s:%d/%s\t%s\t%s\t%s\n", d.Diff.AssetID, d.Diff.IP, d.Diff.Port, d.Diff.Proto,
			d.Diff.ScanTime.UTC().Format("2006-01-02 15:04"), last, cycles)
	}
	return tw.Flush()
}
