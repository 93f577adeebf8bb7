package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/findings"
)

func (m *Main) runFindings(ctx context.Context, args []string) error {
	fs := m.flags("findings", "[--json | --format table|json|sarif|defectdojo] [--min-severity S] [--asset ID]", "List findings: what the rules concluded from each scan (severity info, low,\nmedium, high, critical). High and critical findings are the labels the risk\nmodel learns. --format sarif writes SARIF 2.1.0 (code scanning, SIEMs) and\n--format defectdojo DefectDojo's Generic Findings Import JSON: one finding per\nasset, port and rule, the latest scan's, with its status (reachable, confirmed\nby a check, downgraded because a check proved authentication is required) and\nthe rule to change.")
	asJSON := fs.Bool("json", false, "print JSON lines (as --format json)")
	format := fs.String("format", "table", "table, json, sarif or defectdojo")
	minSev := fs.String("min-severity", "info", "lowest severity to list")
	asset := fs.String("asset", "", "only this asset id")
	defaults := fs.Bool("default-rules", false, "print the default rules file (YAML) to start your own from; set its path as rules: in riskmap.yaml")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *defaults {
		_, err := m.Stdout.Write(findings.DefaultRulesYAML())
		return err
	}
	min, err := riskmap.ParseSeverity(*minSev)
	if err != nil {
		return usageError("--min-severity: %v", err)
	}
	s, err := m.store()
	if err != nil {
		return err
	}
	all, err := datasets.ReadAll(ctx, s, datasets.TableFindings, nil, datasets.DecodeFindings)
	if err != nil {
		return err
	}
	var out []riskmap.Finding
	for _, f := range all {
		if f.Severity >= min && (*asset == "" || f.AssetID == *asset) {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity > out[j].Severity })
	switch *format {
	case "sarif", "defectdojo":
		return m.exportFindings(ctx, s, out, *format)
	case "json":
		*asJSON = true
	case "table":
	default:
		return usageError("--format %q: want table, json, sarif or defectdojo", *format)
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		for _, f := range out {
			if err := enc.Encode(findingJSON(f)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tASSET\tADDRESS\tRULE\tTITLE")
	for _, f := range out {
		addr := f.IP
		if !f.HostLevel() {
			addr = fmt.Sprintf("%s:%d/%s", f.IP, f.Port, f.Proto)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Severity, f.AssetID, addr, f.RuleID, f.Title)
	}
	return tw.Flush()
}

// findingJSON is one line of `findings --json`. A host-level finding has no port and no
// proto keys (port 0 is a real port, so it cannot stand for "none").
func findingJSON(f riskmap.Finding) map[string]any {
	m := map[string]any{
		"scan_id": f.ScanID, "asset_id": f.AssetID, "ip": f.IP,
		"rule_id": f.RuleID, "severity": f.Severity.String(), "title": f.Title,
		"evidence": f.Evidence, "cves": f.CVEs,
	}
	if !f.HostLevel() {
		m["port"], m["proto"] = f.Port, f.Proto
	}
	return m
}
