// Over 400 lines: most of it is the report's single HTML template, kept in one piece so that
// the page reads in order; the data it is filled from is built in the other files.

package report

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
	"github.com/riskmap/riskmap/features/findings"
	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/scanner"
)

// ComparisonFile is where a run that knows the ground truth (the demo, the benchmark) leaves
// its comparison with uniform sweeps for the report.
const ComparisonFile = "comparison.json"

// Comparison is coverage of serious exposures against probes, for riskmap and its peers.
type Comparison struct {
	Serious int               `json:"serious_exposures"`
	Rows    []ComparisonPoint `json:"rows"`
	Note    string            `json:"note"`
}

// ComparisonPoint is one method's cost and result.
type ComparisonPoint struct {
	Method   string  `json:"method"`
	Probes   float64 `json:"probes"`
	Found    int     `json:"found"`
	Coverage float64 `json:"coverage"`
	Measured bool    `json:"measured"` // false: estimated from the port list, not run
}

type reportRow struct {
	Asset, Name, IPs, Tags  string
	Network, Subnet         string
	Priority, Risk, Anomaly float32
	Why                     []string
}

type groupRow struct {
	Kind, Name                     string
	Assets, InternetPorts, Serious int
}

type reportData struct {
	Generated string
	Workspace string
	AsOf      string
	Assets    int
	RiskHist  template.HTML
	Top       []reportRow
	Coverage  template.HTML
	// CoverageCurve is riskmap's serious findings against probes, one point per cycle.
	CoverageCurve template.HTML
	Comparison    *Comparison
	OverCycles    template.HTML
	Cycles        []datasets.Cycle
	Models        template.HTML
	Cards         []models.Card
	Exposure      []groupRow
	Map           template.HTML
	MapNote       string
	List          []findingRow
	ListTotal     int
	Status        map[string]int
	Changes       []changeRow
	Findings      map[string]int
	Severities    []string
	Alerts        int
	Detect        []detectRow
	DetectNote    string

	// Workers and Unrouted are the scan workers' jobs per segment and cycle (workers.go).
	Workers, Unrouted []workerRow
	WorkersQueued     int
}

// WriteReport writes a single self-contained HTML file (inline SVG charts, no script, no
// fetches) about the workspace: the risk distribution, the top assets with reasons, coverage
// of serious exposures against probes (riskmap and uniform sweeps, when a comparison was
// recorded), findings and changes over cycles, model metrics over versions, and exposure by
// VPC, subnet and security group. now stamps the report; the inventory shown is the latest
// snapshot up to a day after it.
func WriteReport(ctx context.Context, s *datasets.Store, path string, now time.Time) error {
	d := reportData{Generated: now.UTC().Format(time.RFC3339), Workspace: s.Dir, Findings: map[string]int{}}
	scores, err := datasets.ReadAll(ctx, s, datasets.TableScores, nil, datasets.DecodeScores)
	if err != nil {
		return err
	}
	var latest time.Time
	for _, sc := range scores {
		if sc.AsOf.After(latest) {
			latest = sc.AsOf
		}
	}
	var cur []riskmap.Score
	for _, sc := range scores {
		if sc.AsOf.Equal(latest) {
			cur = append(cur, sc)
		}
	}
	slices.SortStableFunc(cur, scanner.Compare)
	if !latest.IsZero() {
		d.AsOf = latest.Format(time.RFC3339)
	}
	assets, err := features.LatestAssets(ctx, s, now.Add(24*time.Hour))
	if err != nil {
		return err
	}
	d.Assets = len(assets)
	byID := map[string]*riskmap.Asset{}
	for i := range assets {
		byID[assets[i].ID] = &assets[i]
	}
	hist := make([]float64, 10)
	labels := make([]string, 10)
	for i := range labels {
		labels[i] = fmt.Sprintf("%.1f", float64(i)/10)
	}
	for _, sc := range cur {
		b := int(sc.Risk * 10)
		hist[min(max(b, 0), 9)]++
	}
	d.RiskHist = barChart("assets by risk score", labels, hist, "#c0392b")
	for i, sc := range cur {
		if i == 12 {
			break
		}
		r := reportRow{Asset: sc.AssetID, Priority: sc.Priority, Risk: sc.Risk, Anomaly: sc.Anomaly}
		for _, reason := range sc.Reasons {
			r.Why = append(r.Why, features.Sentence(reason))
		}
		if a := byID[sc.AssetID]; a != nil {
			r.Network, r.Subnet, r.Name = a.Network, a.Subnet, name(*a)
			r.IPs = strings.Join(append(slices.Clone(a.PublicIPs), a.PrivateIPs...), ", ")
			var tags []string
			for _, t := range a.Tags {
				if t.Key != "Name" && t.Key != "name" && !strings.HasPrefix(t.Key, "aws:") {
					tags = append(tags, t.Key+"="+t.Value)
				}
			}
			slices.Sort(tags)
			r.Tags = strings.Join(tags, ", ")
		}
		d.Top = append(d.Top, r)
	}

	// Findings, scans' times, cycles: the findings list, the coverage curve and the map read
	// them.
	found, err := datasets.ReadAll(ctx, s, datasets.TableFindings, nil, datasets.DecodeFindings)
	if err != nil {
		return err
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
	scanTime := func(id string) time.Time { return started[id] }
	checksRan := func(id string) bool { return !light[id] } // riskmap's light tier runs no scripts
	if d.Cycles, err = datasets.ReadCycles(ctx, s); err != nil {
		return err
	}
	d.Workers, d.Unrouted, d.WorkersQueued = workerRows(d.Cycles)

	// Coverage against probes: riskmap's curve over its cycles, and each sweep's point.
	var comparison *Comparison
	if b, err := os.ReadFile(filepath.Join(s.Dir, ComparisonFile)); err == nil {
		var c Comparison
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("%s: %w", ComparisonFile, err)
		}
		comparison = &c
		d.Comparison = &c
	}
	d.CoverageCurve, d.Coverage = coverageCharts(d.Cycles, found, scanTime, comparison)
	if len(d.Cycles) > 0 {
		var probes, found, alerts [][2]float64
		for i, c := range d.Cycles {
			probes = append(probes, [2]float64{float64(i + 1), float64(c.Probes) / 1000})
			found = append(found, [2]float64{float64(i + 1), float64(c.FindingsNew)})
			alerts = append(alerts, [2]float64{float64(i + 1), float64(c.Alerts)})
		}
		d.OverCycles = lineChart("per cycle", "cycle", "count", []series{
			{Name: "probes (thousands)", Color: "#2980b9", Points: probes},
			{Name: "new serious findings", Color: "#c0392b", Points: found},
			{Name: "alerts", Color: "#e67e22", Points: alerts},
		}, false)
	}

	// Models.
	if d.Cards, err = models.OpenRegistry(s.Dir).List(); err != nil {
		return err
	}
	var prAUC, base [][2]float64
	for i, c := range d.Cards {
		if c.Kind != models.KindRisk {
			continue
		}
		prAUC = append(prAUC, [2]float64{float64(i + 1), c.Metrics["pr_auc"]})
		base = append(base, [2]float64{float64(i + 1), c.Baseline["pr_auc"]})
	}
	if len(prAUC) > 0 {
		d.Models = lineChart("risk model PR-AUC by version, against the rules baseline", "version", "PR-AUC", []series{
			{Name: "model", Color: "#c0392b", Points: prAUC}, {Name: "rules baseline", Color: "#7f8c8d", Points: base},
		}, false)
	}

	// Findings: the list a person acts on, and the map.
	rules, err := findings.DefaultRules()
	if err != nil {
		return err
	}
	d.List = findingRows(found, rules, byID, scanTime, checksRan, 0)
	d.ListTotal = len(d.List)
	d.Status = map[string]int{}
	for _, r := range d.List {
		d.Status[r.Status]++
	}
	if len(d.List) > maxListed {
		d.List = d.List[:maxListed]
	}
	diffs, err := datasets.ReadAll(ctx, s, datasets.TableDiffs, nil, datasets.DecodeDiffs)
	if err != nil {
		return err
	}
	d.Changes = changeRows(diffs, byID, 40)
	d.Map, d.MapNote = estateMap(assets, found, scanTime, checksRan)
	seriousAsset := map[string]bool{}
	for _, f := range found {
		d.Findings[f.Severity.String()]++
		if f.Severity.Serious() {
			seriousAsset[f.AssetID] = true
		}
	}
	d.Severities = []string{"critical", "high", "medium", "low", "info"}
	groups := map[[2]string]*groupRow{}
	add := func(kind, name string, a *riskmap.Asset) {
		if name == "" {
			return
		}
		g := groups[[2]string{kind, name}]
		if g == nil {
			g = &groupRow{Kind: kind, Name: name}
			groups[[2]string{kind, name}] = g
		}
		g.Assets++
		g.InternetPorts += len(a.InternetExposedPorts)
		if seriousAsset[a.ID] {
			g.Serious++
		}
	}
	for i := range assets {
		a := &assets[i]
		add("vpc", a.Network, a)
		add("subnet", a.Subnet, a)
		for _, sg := range a.SecurityGroups {
			add("security group", sg, a)
		}
	}
	for _, g := range groups {
		d.Exposure = append(d.Exposure, *g)
	}
	sort.Slice(d.Exposure, func(i, j int) bool {
		a, b := d.Exposure[i], d.Exposure[j]
		if a.Kind != b.Kind {
			return a.Kind > b.Kind
		}
		if a.Serious != b.Serious {
			return a.Serious > b.Serious
		}
		return a.Name < b.Name
	})
	alerts, err := s.Files(datasets.TableAlerts)
	if err != nil {
		return err
	}
	for _, f := range alerts {
		n, err := datasets.RowCount(f.Path)
		if err != nil {
			return err
		}
		d.Alerts += int(n)
	}

	if d.Detect, d.DetectNote, err = detections(ctx, s); err != nil {
		return err
	}

	var b strings.Builder
	if err := reportTemplate.Execute(&b, d); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) },
	"f3":  func(x float32) string { return fmt.Sprintf("%.3f", x) },
	"num": func(x float64) string { return fmt.Sprintf("%.0f", x) },
	"met": func(c models.Card, k string) string {
		if v, ok := c.Metrics[k]; ok {
			return fmt.Sprintf("%.3f", v)
		}
		return "-"
	},
	"base": func(c models.Card, k string) string {
		if v, ok := c.Baseline[k]; ok {
			return fmt.Sprintf("%.3f", v)
		}
		return "-"
	},
}).Parse(`<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta charset="utf-8"/>
<title>riskmap report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0; } .sub { color: #666; margin-top: .2em; }
section { margin: 2em 0; } table { border-collapse: collapse; font-size: 13px; }
td, th { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.grid { display: flex; flex-wrap: wrap; gap: 2em; }
.dim { color: #666; font-size: 12px; } code { font-size: 11px; background: #f6f6f6; word-break: break-all; }
.map { overflow: auto; max-height: 900px; border: 1px solid #ddd; }
table.findings td.ev { max-width: 320px; font-size: 12px; word-break: break-word; }
tr.critical td:first-child { color: #c0392b; font-weight: bold; } tr.high td:first-child { color: #e67e22; font-weight: bold; }
</style>
</head>
<body>
<h1>riskmap report</h1>
<p class="sub">workspace {{.Workspace}} · {{.Assets}} assets · scores as of {{.AsOf}} · generated {{.Generated}}</p>

<section class="grid">
<div><h2>Risk distribution</h2>{{.RiskHist}}</div>
<div><h2>Findings</h2><table><tr><th>severity</th><th>findings</th></tr>{{range .Severities}}<tr><td>{{.}}</td><td class="n">{{index $.Findings .}}</td></tr>{{end}}<tr><td>alerts sent</td><td class="n">{{.Alerts}}</td></tr></table></div>
</section>





<section>
<h2>Map</h2>
{{if .Map}}<p class="dim">{{.MapNote}}. Red edges: security rules that open a port of the asset to the internet. Filled assets: their worst finding (<span style="color:#c0392b">critical</span>, <span style="color:#e67e22">high</span>, <span style="color:#b7950b">medium</span>); a thick outline marks a serious one. Hover a box for its addresses, tags and findings.</p>
<div class="map">{{.Map}}</div>{{else}}<p>No inventory yet.</p>{{end}}
</section>

<section>
<h2>Findings to act on</h2>
{{if .List}}<p class="dim">{{.ListTotal}} findings (one per asset, port and rule, as the latest scan saw it){{if gt .ListTotal (len .List)}}, the {{len .List}} most severe listed{{end}}. {{range $k, $v := .Status}}{{$v}} {{$k}}; {{end}}</p>
<table class="findings"><tr><th>severity</th><th>finding</th><th>status</th><th>evidence</th><th>first / last seen</th><th>what to change</th></tr>
{{range .List}}<tr class="{{.Severity}}"><td>{{.Severity}}</td><td><b>{{.Title}}</b><br/>{{.Where}}{{if .Asset}}<br/><span class="dim">{{.Asset}}</span>{{end}}</td><td>{{.Status}}</td><td class="ev">{{.Evidence}}</td><td>{{.FirstSeen}}<br/>{{.LastSeen}}</td><td>{{range .Remedies}}<b>{{.Provider}}</b> {{.Rule}}:{{range .Commands}}<br/><code>{{.}}</code>{{end}}<br/>{{else}}{{.Action}}{{end}}</td></tr>
{{end}}</table>{{else}}<p>No findings yet.</p>{{end}}
</section>

<section>
<h2>Top assets</h2>
<table><tr><th>asset</th><th>network / subnet</th><th>priority</th><th>risk</th><th>anomaly</th><th>why</th></tr>
{{range .Top}}<tr><td><b>{{.Asset}}</b>{{if .Name}}<br/>{{.Name}}{{end}}{{if .IPs}}<br/><span class="dim">{{.IPs}}</span>{{end}}{{if .Tags}}<br/><span class="dim">{{.Tags}}</span>{{end}}</td><td>{{.Network}}<br/>{{.Subnet}}</td><td class="n">{{f3 .Priority}}</td><td class="n">{{f3 .Risk}}</td><td class="n">{{f3 .Anomaly}}</td><td>{{range .Why}}{{.}}<br/>{{end}}</td></tr>
{{end}}</table>
</section>

<section>
<h2>Serious exposures found against probes sent</h2>
<div class="grid"><div>{{.CoverageCurve}}</div><div>{{.Coverage}}</div></div>
{{if .Comparison}}
<table><tr><th>method</th><th>probes</th><th>found</th><th>of {{.Comparison.Serious}}</th><th></th></tr>
{{range .Comparison.Rows}}<tr><td>{{.Method}}</td><td class="n">{{num .Probes}}</td><td class="n">{{.Found}}</td><td class="n">{{pct .Coverage}}</td><td>{{if .Measured}}measured{{else}}estimated from the port list{{end}}</td></tr>
{{end}}</table><p>{{.Comparison.Note}}</p>
{{else}}<p>No ground-truth comparison in this workspace (the demo and the benchmark record one).</p>{{end}}
</section>

<section>
<h2>Over cycles</h2>
{{if .Cycles}}{{.OverCycles}}
<table><tr><th>cycle</th><th>probes</th><th>budget</th><th>light</th><th>standard</th><th>deep</th><th>explore</th><th>new serious</th><th>confirmed</th><th>failed confirmations</th><th>alerts</th><th>rate changes</th><th>model</th></tr>
{{range .Cycles}}<tr><td>{{.ID}}</td><td class="n">{{.Probes}}</td><td class="n">{{.Budget}}</td><td class="n">{{.HostsLight}}</td><td class="n">{{.HostsStandard}}</td><td class="n">{{.HostsDeep}}</td><td class="n">{{.HostsExplore}}</td><td class="n">{{.FindingsNew}}</td><td class="n">{{.FindingsConfirmed}}</td><td class="n">{{.ConfirmationsFailed}}</td><td class="n">{{.Alerts}}</td><td class="n">{{.RateChanges}}</td><td>{{.ModelVersion}}</td></tr>
{{end}}</table>{{else}}<p>No cycles yet.</p>{{end}}
</section>
` + workersSection + `

<section>
<h2>Changes over time</h2>
{{if .Changes}}<table><tr><th>seen</th><th>first seen</th><th>asset</th><th>change</th><th>before</th><th>after</th><th>time to detect</th></tr>
{{range .Changes}}<tr><td>{{.When}}</td><td>{{.FirstSeen}}</td><td>{{.Asset}}</td><td>{{.What}}</td><td>{{.Before}}</td><td>{{.After}}</td><td>{{.Detect}}</td></tr>
{{end}}</table>{{else}}<p>No changes against the baselines yet.</p>{{end}}
</section>

<section>
<h2>Time to detect new open ports</h2>
{{if .Detect}}<p>{{.DetectNote}}. Cycles: how many cycles after the port was last probed (closed) went by before one found it open; 0 is the first cycle that could.</p>
<table><tr><th>asset</th><th>address</th><th>port</th><th>found</th><th>last probed before</th><th>cycles</th></tr>
{{range .Detect}}<tr><td>{{.Asset}}</td><td>{{.IP}}</td><td>{{.Port}}</td><td>{{.Found}}</td><td>{{.LastProbed}}</td><td class="n">{{.Cycles}}</td></tr>
{{end}}</table>{{else}}<p>No new open ports yet.</p>{{end}}
</section>

<section>
<h2>Models</h2>
{{.Models}}
<table><tr><th>model</th><th>algo</th><th>rows</th><th>PR-AUC</th><th>rules</th><th>ROC-AUC</th><th>catch@10%</th><th>rules</th><th>Brier</th><th>promoted</th></tr>
{{range .Cards}}<tr><td>{{.Name}}@{{.Version}}</td><td>{{.Algo}}</td><td class="n">{{.Rows}}</td><td class="n">{{met . "pr_auc"}}</td><td class="n">{{base . "pr_auc"}}</td><td class="n">{{met . "roc_auc"}}</td><td class="n">{{met . "catch_rate@10"}}</td><td class="n">{{base . "catch_rate@10"}}</td><td class="n">{{met . "brier"}}</td><td>{{.Promoted}}</td></tr>
{{end}}</table>
</section>

<section>
<h2>Exposure map</h2>
<table><tr><th>kind</th><th>name</th><th>assets</th><th>internet-exposed ports</th><th>assets with serious findings</th></tr>
{{range .Exposure}}<tr><td>{{.Kind}}</td><td>{{.Name}}</td><td class="n">{{.Assets}}</td><td class="n">{{.InternetPorts}}</td><td class="n">{{.Serious}}</td></tr>
{{end}}</table>
</section>
</body>
</html>
`))
