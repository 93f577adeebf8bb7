package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/findings"
)

// findingRow is one finding as the report lists it: what, where (with the asset's name,
// addresses and tags), how far it is proven, the evidence, when it was first and last seen,
// and the rule to change in the asset's cloud.
type findingRow struct {
	Severity, Title, Where, Asset, Status, Evidence string
	FirstSeen, LastSeen                             string
	Remedies                                        []findings.Remedy
	Action                                          string // when there is no rule to name
	serious                                         bool
}

// findingRows returns one row per finding fingerprint (the latest scan's), worst first, at
// most limit of them (0: all). scanTime gives a scan's time (zero when unknown).
func findingRows(fs []riskmap.Finding, rules *findings.Rules, assets map[string]*riskmap.Asset, scanTime func(string) time.Time, checksRan func(string) bool, limit int) []findingRow {
	type seen struct {
		f           riskmap.Finding
		first, last time.Time
	}
	// Oldest scan first, so that each later verdict meets the one it may replace.
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(a, b riskmap.Finding) int { return scanTime(a.ScanID).Compare(scanTime(b.ScanID)) })
	by := map[string]*seen{}
	var order []string
	for _, f := range fs {
		k := findings.Fingerprint(f)
		at := scanTime(f.ScanID)
		s, ok := by[k]
		if !ok {
			by[k] = &seen{f: f, first: at, last: at}
			order = append(order, k)
			continue
		}
		if at.Before(s.first) {
			s.first = at
		}
		if findings.Supersedes(f, s.f, checksRan(f.ScanID)) {
			s.f = f
		}
		s.last = at
	}
	list := make([]*seen, 0, len(order))
	for _, k := range order {
		list = append(list, by[k])
	}
	slices.SortStableFunc(list, func(a, b *seen) int {
		if c := cmp.Compare(b.f.Severity, a.f.Severity); c != 0 {
			return c
		}
		return b.last.Compare(a.last)
	})
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04")
	}
	out := make([]findingRow, 0, len(list))
	for _, s := range list {
		f := s.f
		a := assets[f.AssetID]
		r := findingRow{Severity: f.Severity.String(), Title: f.Title, Where: findings.Where(f, a), Asset: findings.AssetLine(a),
			Status: string(rules.Confirmation(f)), Evidence: f.Evidence, FirstSeen: day(s.first), LastSeen: day(s.last),
			Remedies: findings.Remedies(a, f.Proto, f.Port), serious: f.Severity.Serious()}
		if len(r.Remedies) == 0 {
			r.Action = findings.Action(f, a)
		}
		out = append(out, r)
	}
	return out
}

// changeRow is one change against the baseline, with when it was first seen.
type changeRow struct {
	When, FirstSeen, Asset, What, Before, After string
	// Detect is the time to detect of a new port (riskmap.Diff.DetectCycles of its first
	// report), "" where it is not known.
	Detect string
}

// detectText says how long a new port took to find, from its first report.
func detectText(d riskmap.Diff) string {
	if d.FirstPossible.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d cycle(s) after first possible (%s)", d.DetectCycles, d.FirstPossible.UTC().Format("2006-01-02 15:04"))
}

// changeRows returns the latest changes (at most limit), newest first, each with the first
// time the same change (asset, address, port, kind, after) was seen.
func changeRows(ds []riskmap.Diff, assets map[string]*riskmap.Asset, limit int) []changeRow {
	first := map[string]time.Time{}
	detect := map[string]string{}
	key := func(d riskmap.Diff) string {
		return strings.Join([]string{d.AssetID, d.IP, fmt.Sprint(d.Port), d.Proto, d.Change, d.After}, "|")
	}
	for _, d := range ds {
		k := key(d)
		if t, ok := first[k]; !ok || d.ScanTime.Before(t) {
			first[k] = d.ScanTime
			detect[k] = detectText(d)
		}
	}
	list := slices.Clone(ds)
	slices.SortStableFunc(list, func(a, b riskmap.Diff) int { return b.ScanTime.Compare(a.ScanTime) })
	var out []changeRow
	done := map[string]bool{}
	for _, d := range list {
		k := key(d)
		if done[k] {
			continue
		}
		done[k] = true
		where := d.IP
		if d.Port > 0 {
			where = fmt.Sprintf("%s:%d/%s", d.IP, d.Port, d.Proto)
		}
		asset := d.AssetID
		if n := name(derefAsset(assets[d.AssetID])); n != "" {
			asset += " (" + n + ")"
		}
		out = append(out, changeRow{When: d.ScanTime.UTC().Format("2006-01-02 15:04"), FirstSeen: first[k].UTC().Format("2006-01-02 15:04"),
			Asset: asset, What: strings.ReplaceAll(d.Change, "_", " ") + " " + where, Before: orNone(d.Before, "(none)"), After: orNone(d.After, "(none)"), Detect: detect[k]})
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

func derefAsset(a *riskmap.Asset) riskmap.Asset {
	if a == nil {
		return riskmap.Asset{}
	}
	return *a
}

// coveragePoint is where riskmap stood after one cycle: probes sent so far and the serious
// exposures (asset, port) found so far.
type coveragePoint struct {
	Probes float64
	Found  int
}

// coverageCurve accumulates, cycle by cycle (ends are the cycles' finish times, probes their
// probe counts, in order), the distinct serious findings (asset, address, port) whose scans ran
// by each cycle's end.
func coverageCurve(ends []time.Time, probes []int64, fs []riskmap.Finding, scanTime func(string) time.Time) []coveragePoint {
	firstAt := map[string]time.Time{}
	for _, f := range fs {
		if !f.Severity.Serious() {
			continue
		}
		k := fmt.Sprintf("%s|%s|%d", f.AssetID, f.IP, f.Port)
		at := scanTime(f.ScanID)
		if t, ok := firstAt[k]; !ok || at.Before(t) {
			firstAt[k] = at
		}
	}
	var out []coveragePoint
	total := 0.0
	for i, end := range ends {
		total += float64(probes[i])
		n := 0
		for _, t := range firstAt {
			if !t.After(end) {
				n++
			}
		}
		out = append(out, coveragePoint{Probes: total, Found: n})
	}
	return out
}
