package report

import (
	"fmt"
	"html/template"
	"slices"
	"sort"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/findings"
)

// maxListed is the most findings the report lists; the rest are counted.
const maxListed = 150

// estateMap draws the topology map of assets with the latest verdict of each of their
// findings, and says what it left out.
func estateMap(assets []riskmap.Asset, fs []riskmap.Finding, scanTime func(string) time.Time, checksRan func(string) bool) (template.HTML, string) {
	if len(assets) == 0 {
		return "", ""
	}
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(a, b riskmap.Finding) int { return scanTime(a.ScanID).Compare(scanTime(b.ScanID)) })
	latest := map[string]riskmap.Finding{}
	for _, f := range fs {
		k := findings.Fingerprint(f)
		if g, ok := latest[k]; !ok || findings.Supersedes(f, g, checksRan(f.ScanID)) {
			latest[k] = f
		}
	}
	byAsset := map[string][]riskmap.Finding{}
	for _, f := range latest {
		byAsset[f.AssetID] = append(byAsset[f.AssetID], f)
	}
	list := make([]MapAsset, 0, len(assets))
	for _, a := range assets {
		m := MapAsset{Asset: a}
		fsa := byAsset[a.ID]
		sort.Slice(fsa, func(i, j int) bool { return fsa[i].Severity > fsa[j].Severity })
		for _, f := range fsa {
			m.Worst = max(m.Worst, f.Severity)
			where := "host"
			if f.Port > 0 {
				where = fmt.Sprintf("%d/%s", f.Port, f.Proto)
			}
			m.Findings = append(m.Findings, fmt.Sprintf("%s %s %s (%s)", f.Severity, f.RuleID, where, (*findings.Rules)(nil).Confirmation(f)))
		}
		list = append(list, m)
	}
	note := fmt.Sprintf("%d assets", len(list))
	if len(list) > TopologyLimit {
		note += fmt.Sprintf("; beyond %d, quiet assets are summarised per security group", TopologyLimit)
	}
	return template.HTML(TopologySVG(list, TopologyLimit)), note
}

// coverageCharts draws serious exposures found against probes sent: riskmap's curve over its
// cycles (cumulative probes, distinct serious findings so far), and, when a run that knows the
// ground truth left a comparison, each method's share of the true serious exposures.
func coverageCharts(cycles []datasets.Cycle, fs []riskmap.Finding, scanTime func(string) time.Time, c *Comparison) (curve, compare template.HTML) {
	ends := make([]time.Time, len(cycles))
	probes := make([]int64, len(cycles))
	for i, cy := range cycles {
		ends[i], probes[i] = cy.Finished, cy.Probes
		if ends[i].IsZero() {
			ends[i] = cy.Started
		}
	}
	if pts := coverageCurve(ends, probes, fs, scanTime); len(pts) > 0 {
		var xy [][2]float64
		for _, p := range pts {
			xy = append(xy, [2]float64{p.Probes, float64(p.Found)})
		}
		curve = lineChart("riskmap, cycle by cycle: serious findings against probes sent", "probes sent, cumulative", "distinct serious findings (asset, port)",
			[]series{{Name: "riskmap", Color: "#c0392b", Points: xy}}, false)
	}
	if c != nil && len(c.Rows) > 0 {
		colors := []string{"#c0392b", "#2980b9", "#27ae60", "#8e44ad", "#7f8c8d", "#d35400"}
		var ss []series
		for i, r := range c.Rows {
			ss = append(ss, series{Name: r.Method, Color: colors[i%len(colors)], Points: [][2]float64{{r.Probes, r.Coverage}}})
		}
		compare = lineChart("share of the true serious exposures found, against probes sent", "probes sent", "share found", ss, true)
	}
	return curve, compare
}
