package findings

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/riskmap/riskmap"
)

// SARIFSchema is the schema URI of the SARIF 2.1.0 documents WriteSARIF writes.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      *sarifText     `json:"fullDescription,omitempty"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Kind                string            `json:"kind"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind"`
}

// sarifLevel maps a severity to SARIF's level: high and critical are errors, medium a
// warning, low and info notes.
func sarifLevel(s riskmap.Severity) string {
	switch {
	case s >= riskmap.SeverityHigh:
		return "error"
	case s == riskmap.SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub code scanning reads from a rule's
// "security-severity" property (critical >= 9, high >= 7, medium >= 4, low > 0).
func securitySeverity(s riskmap.Severity) string {
	return [...]string{"0.0", "3.0", "5.5", "8.0", "9.5"}[min(max(int(s), 0), 4)]
}

// WriteSARIF writes e as one SARIF 2.1.0 log with one run: riskmap as the tool, the rules that
// made the findings as its rules, one result per finding (the latest scan's, per
// Fingerprint), located by a URI (tcp://ip:port) and the asset as a logical location.
func WriteSARIF(w io.Writer, e Export) error {
	fs := e.latest()
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "riskmap", Version: e.Version,
		InformationURI: "https://github.com/riskmap/riskmap", Rules: []sarifRule{}}}, Results: []sarifResult{}}
	ruleIndex := map[string]int{}
	for _, f := range fs {
		i, ok := ruleIndex[f.RuleID]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			ruleIndex[f.RuleID] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, e.sarifRule(f))
		}
		a := e.asset(f.AssetID)
		conf := e.Rules.Confirmation(f)
		action := Action(f, a)
		msg := fmt.Sprintf("%s: %s. Evidence: %s. Status: %s. Action: %s.", f.Title, Where(f, a), f.Evidence, conf, action)
		props := map[string]any{"severity": f.Severity.String(), "confirmation": string(conf), "scanId": f.ScanID,
			"ip": f.IP, "port": f.Port, "evidence": f.Evidence, "action": action, "tags": []string{"security", "network"}}
		if f.AssetID != "" {
			props["assetId"] = f.AssetID
		}
		if len(f.CVEs) > 0 {
			props["cves"] = f.CVEs
		}
		if a != nil {
			props["asset"] = AssetLine(a)
		}
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: resultURI(f)}}}
		if f.AssetID != "" {
			lg := sarifLogical{Name: f.AssetID, Kind: "resource"}
			if a != nil {
				lg.FullyQualifiedName = strings.Join(nonEmpty(a.Provider, a.Account, a.Network, a.Subnet, a.ID), "/")
			}
			loc.LogicalLocations = []sarifLogical{lg}
		}
		run.Results = append(run.Results, sarifResult{RuleID: f.RuleID, RuleIndex: i, Level: sarifLevel(f.Severity), Kind: "fail",
			Message: sarifText{Text: msg}, Locations: []sarifLocation{loc},
			PartialFingerprints: map[string]string{"riskmapFinding/v1": Fingerprint(f)}, Properties: props})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}}); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	return nil
}

func (e *Export) sarifRule(f riskmap.Finding) sarifRule {
	r := sarifRule{ID: f.RuleID, ShortDescription: sarifText{Text: f.Title}, DefaultConfiguration: sarifConfig{Level: sarifLevel(f.Severity)},
		Properties: map[string]any{"security-severity": securitySeverity(f.Severity), "tags": []string{"security", "network"}}}
	if rule := e.Rules.Rule(f.RuleID); rule != nil {
		r.Name = rule.ID
		r.ShortDescription.Text = rule.Title
		if rule.Rationale != "" {
			r.FullDescription = &sarifText{Text: rule.Rationale}
		}
		if len(rule.References) > 0 {
			r.HelpURI = rule.References[0]
		}
		top := rule.Severity
		if rule.InternetSeverity != nil {
			top = *rule.InternetSeverity
		}
		r.DefaultConfiguration.Level = sarifLevel(top)
		r.Properties["security-severity"] = securitySeverity(top)
	}
	return r
}

// resultURI is where a finding is: tcp://ip:port, or //ip for a host-level finding.
func resultURI(f riskmap.Finding) string {
	if f.Port == 0 {
		return "//" + hostOf(f.IP)
	}
	return orTCP(f.Proto) + "://" + net.JoinHostPort(f.IP, fmt.Sprint(f.Port))
}

func hostOf(ip string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]"
	}
	return ip
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
