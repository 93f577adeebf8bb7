package findings

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/riskmap/riskmap"
)

// DefectDojo's "Generic Findings Import" JSON: a test with a findings list. Only the fields
// its parser allows are written (dojo/tools/generic/json_parser.py).

type dojoTest struct {
	Name        string        `json:"name"`
	Type        string        `json:"type"`
	Version     string        `json:"version,omitempty"`
	Description string        `json:"description"`
	DynamicTool bool          `json:"dynamic_tool"`
	StaticTool  bool          `json:"static_tool"`
	Findings    []dojoFinding `json:"findings"`
}

type dojoFinding struct {
	Title            string         `json:"title"`
	Severity         string         `json:"severity"`
	Description      string         `json:"description"`
	Date             string         `json:"date"`
	Mitigation       string         `json:"mitigation"`
	Impact           string         `json:"impact,omitempty"`
	References       string         `json:"references,omitempty"`
	Active           bool           `json:"active"`
	Verified         bool           `json:"verified"`
	StaticFinding    bool           `json:"static_finding"`
	DynamicFinding   bool           `json:"dynamic_finding"`
	UniqueIDFromTool string         `json:"unique_id_from_tool"`
	VulnIDFromTool   string         `json:"vuln_id_from_tool"`
	Service          string         `json:"service,omitempty"`
	VulnerabilityIDs []string       `json:"vulnerability_ids,omitempty"`
	Endpoints        []dojoEndpoint `json:"endpoints"`
	Tags             []string       `json:"tags"`
}

type dojoEndpoint struct {
	Protocol string `json:"protocol,omitempty"`
	Host     string `json:"host"`
	Port     int    `json:"port,omitempty"`
}

// dojoSeverity is DefectDojo's name for s.
func dojoSeverity(s riskmap.Severity) string {
	return [...]string{"Info", "Low", "Medium", "High", "Critical"}[min(max(int(s), 0), 4)]
}

// WriteDefectDojo writes e as DefectDojo's Generic Findings Import JSON: one finding per
// Fingerprint (the latest scan's), with the evidence and confirmation in the description, the
// rule to change as the mitigation, the address as an endpoint, and Fingerprint as
// unique_id_from_tool so that re-imports deduplicate. A finding a script confirmed is
// verified.
func WriteDefectDojo(w io.Writer, e Export) error {
	t := dojoTest{Name: "riskmap", Type: "riskmap", Version: e.Version, DynamicTool: true, Findings: []dojoFinding{},
		Description: "Network exposure findings from riskmap's nmap scans of the cloud estate."}
	for _, f := range e.latest() {
		a := e.asset(f.AssetID)
		conf := e.Rules.Confirmation(f)
		date := e.now()
		if e.ScanTime != nil {
			if at := e.ScanTime(f.ScanID); !at.IsZero() {
				date = at
			}
		}
		var desc strings.Builder
		fmt.Fprintf(&desc, "%s: %s.\n\nStatus: %s.\n\nEvidence: %s.\n", f.Title, Where(f, a), conf, f.Evidence)
		if line := AssetLine(a); line != "" {
			fmt.Fprintf(&desc, "\nAsset: %s.\n", line)
		}
		fmt.Fprintf(&desc, "\nScan: %s.\n", f.ScanID)
		d := dojoFinding{
			Title: fmt.Sprintf("%s on %s", f.Title, Where(f, nil)), Severity: dojoSeverity(f.Severity), Description: desc.String(),
			Date: date.UTC().Format("2006-01-02"), Mitigation: Action(f, a), Active: true, Verified: conf == Confirmed,
			DynamicFinding: true, UniqueIDFromTool: Fingerprint(f), VulnIDFromTool: f.RuleID,
			VulnerabilityIDs: f.CVEs, Tags: []string{"riskmap", strings.SplitN(string(conf), ":", 2)[0]},
		}
		if rule := e.Rules.Rule(f.RuleID); rule != nil {
			d.Impact = rule.Rationale
			d.References = strings.Join(rule.References, "\n")
			if len(rule.Match.Services) > 0 {
				d.Service = rule.Match.Services[0]
			}
		}
		if f.Port > 0 {
			d.Endpoints = []dojoEndpoint{{Protocol: orTCP(f.Proto), Host: f.IP, Port: f.Port}}
		} else {
			d.Endpoints = []dojoEndpoint{{Host: f.IP}}
		}
		t.Findings = append(t.Findings, d)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(t); err != nil {
		return fmt.Errorf("write defectdojo: %w", err)
	}
	return nil
}
