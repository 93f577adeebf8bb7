package main

import (
	"context"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/features"
	"github.com/riskmap/riskmap/features/findings"
	"github.com/riskmap/riskmap/ingest"
)

// exportFindings writes fs as SARIF or DefectDojo JSON, with the rules in force (riskmap.yaml's
// rules: merged over the defaults), the latest inventory's assets and the scans' times.
func (m *Main) exportFindings(ctx context.Context, s *datasets.Store, fs []riskmap.Finding, format string) error {
	cfg, err := engine.LoadConfig(m.workspace)
	if err != nil {
		return err
	}
	rules, err := ingest.LoadRules(cfg.Rules)
	if err != nil {
		return err
	}
	assets, err := features.LatestAssets(ctx, s, time.Now().Add(24*time.Hour))
	if err != nil {
		return err
	}
	byID := make(map[string]*riskmap.Asset, len(assets))
	for i := range assets {
		byID[assets[i].ID] = &assets[i]
	}
	scans, err := datasets.ReadAll(ctx, s, datasets.TableScans, nil, datasets.DecodeScans)
	if err != nil {
		return err
	}
	started := make(map[string]time.Time, len(scans))
	light := map[string]bool{}
	for _, sc := range scans {
		started[sc.ID] = sc.Started
		light[sc.ID] = sc.Profile == riskmap.TierLight.String()
	}
	e := findings.Export{Findings: fs, Rules: rules, Assets: byID, Version: "dev",
		ScanTime: func(id string) time.Time { return started[id] }, ChecksRan: func(id string) bool { return !light[id] }}
	if format == "sarif" {
		return findings.WriteSARIF(m.Stdout, e)
	}
	return findings.WriteDefectDojo(m.Stdout, e)
}
