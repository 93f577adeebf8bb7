package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/baseline"
	"github.com/riskmap/riskmap/features/nmapxml"
	"github.com/riskmap/riskmap/ingest"
)

func (m *Main) runDiff(ctx context.Context, args []string) error {
	fs := m.flags("diff", "[--json] [--scan SCAN_ID] [--baseline SCAN_ID|auto] | OLD.xml NEW.xml | --detect",
		"Say what changed between scans, per host: new and closed ports, service, product,\nversion and CPE changes, OS changes, hosts new, gone or changed up/down.\nTimings, scan times, script order and 'Not shown' counts are noise and ignored.\n\nWith two files it compares them directly, as ndiff does. Otherwise it shows the\nchanges of a stored scan (default: the latest) against its baseline: 'auto'\n(default) is each asset's most recent complete scan that covered the same ports.\n\nWith --detect it lists every new open port the workspace has seen with its time\nto detect: the cycles between the last probe that found it closed and the one\nthat found it open.")
	asJSON := fs.Bool("json", false, "print JSON lines")
	scanID := fs.String("scan", "", "the scan to explain (default: the latest)")
	base := fs.String("baseline", "auto", "baseline scan id, or auto")
	detect := fs.Bool("detect", false, "list every new open port in the workspace with its time to detect, in cycles")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if *detect {
		return m.printDetections(ctx, *asJSON)
	}
	var diffs []riskmap.Diff
	switch fs.NArg() {
	case 2:
		snaps := make([]baseline.Snapshot, 2)
		for i, path := range fs.Args() {
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			res, err := nmapxml.Parse(raw, nmapxml.Options{Source: path})
			if err != nil {
				return err
			}
			res.Scan.ID = nmapxml.ScanID(raw)
			snap, err := baseline.NewSnapshot(res.Scan, res.Hosts, res.Observations)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			snaps[i] = snap
		}
		diffs = baseline.Diff(snaps[0], snaps[1])
	case 0:
		s, err := m.store()
		if err != nil {
			return err
		}
		scans, err := datasets.ReadAll(ctx, s, datasets.TableScans, nil, datasets.DecodeScans)
		if err != nil {
			return err
		}
		if len(scans) == 0 {
			return fmt.Errorf("the workspace has no scans: ingest some first")
		}
		sort.Slice(scans, func(i, j int) bool { return scans[i].Started.Before(scans[j].Started) })
		cur := scans[len(scans)-1]
		if *scanID != "" {
			if cur, err = findScan(scans, *scanID); err != nil {
				return err
			}
		}
		if *base == "auto" {
			all, err := datasets.ReadAll(ctx, s, datasets.TableDiffs, func(f datasets.File) bool { return f.ID() == cur.ID }, datasets.DecodeDiffs)
			if err != nil {
				return err
			}
			diffs = all
			break
		}
		old, err := findScan(scans, *base)
		if err != nil {
			return err
		}
		a, err := ingest.LoadSnapshot(ctx, s, old)
		if err != nil {
			return err
		}
		b, err := ingest.LoadSnapshot(ctx, s, cur)
		if err != nil {
			return err
		}
		diffs = baseline.Diff(*a, *b)
	default:
		return usageError("give two nmap XML files, or none (with --scan/--baseline)")
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		for _, d := range diffs {
			if err := enc.Encode(diffJSON(d)); err != nil {
				return err
			}
		}
		return nil
	}
	if len(diffs) == 0 {
		fmt.Fprintln(m.Stdout, "no changes")
	}
	for _, d := range diffs {
		fmt.Fprintln(m.Stdout, diffLine(d))
	}
	return nil
}

func findScan(scans []riskmap.Scan, id string) (riskmap.Scan, error) {
	var found []riskmap.Scan
	for _, s := range scans {
		if strings.HasPrefix(s.ID, id) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return riskmap.Scan{}, fmt.Errorf("no scan %q in the workspace", id)
	}
	return riskmap.Scan{}, fmt.Errorf("scan id %q is ambiguous (%d scans): give more of it", id, len(found))
}

func diffLine(d riskmap.Diff) string {
	where := d.IP
	if !d.HostLevel() {
		where = fmt.Sprintf("%s:%d/%s", d.IP, d.Port, d.Proto)
	}
	if d.AssetID != "" {
		where += " (" + d.AssetID + ")"
	}
	change := ""
	switch {
	case d.Before != "" && d.After != "":
		change = d.Before + " -> " + d.After
	case d.After != "":
		change = d.After
	default:
		change = d.Before
	}
	line := fmt.Sprintf("%-20s %s  %s", d.Change, where, change)
	if !d.FirstPossible.IsZero() {
		line += fmt.Sprintf("  [time to detect: %d cycle(s), possible since %s]", d.DetectCycles, d.FirstPossible.UTC().Format(time.RFC3339))
	}
	return line
}

// diffJSON is one line of `diff --json`. A host-level change has no port and no proto keys
// (port 0 is a real port, so it cannot stand for "none").
func diffJSON(d riskmap.Diff) map[string]any {
	m := map[string]any{
		"asset_id": d.AssetID, "ip": d.IP, "change": d.Change,
		"before": d.Before, "after": d.After, "scan_id": d.ScanID, "baseline_scan_id": d.BaselineScanID,
	}
	if !d.HostLevel() {
		m["port"], m["proto"] = d.Port, d.Proto
	}
	if !d.FirstPossible.IsZero() {
		m["first_possible"], m["detect_cycles"] = d.FirstPossible.UTC(), d.DetectCycles
	}
	return m
}
