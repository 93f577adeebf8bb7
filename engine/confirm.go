package engine

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
)

// confirm rescans each new serious finding's port with version detection (standard tier,
// that port only, with its access checks) and keeps the findings that the rescan reproduces
// and still finds serious: a cheap second look that cuts false positives (a flapping service,
// a banner seen once, a database that turns out to ask for a password) before anyone is
// paged. A kept finding is the rescan's version of it, with the checks' evidence. It returns
// the confirmed findings and the number of failed confirmations (gone, or downgraded).
func (l *Loop) confirm(ctx context.Context, found []riskmap.Finding, scope scanner.Scope, rep *CycleReport) ([]riskmap.Finding, int, error) {
	if len(found) == 0 {
		return nil, 0, nil
	}
	type target struct {
		ip   netip.Addr
		port int
	}
	byTarget := map[target][]riskmap.Finding{}
	var order []target
	for _, f := range found {
		addr, err := netip.ParseAddr(f.IP)
		if err != nil {
			continue
		}
		t := target{addr, f.Port}
		if _, ok := byTarget[t]; !ok {
			order = append(order, t)
		}
		byTarget[t] = append(byTarget[t], f)
	}
	// One plan item per asset (the plan's rule), holding every port to re-check.
	var items []scanner.Fixed
	index := map[string]int{}
	for _, t := range order {
		if t.port == 0 {
			continue // a host-level finding (host scripts): nothing port-sized to rescan
		}
		f := byTarget[t][0]
		key := f.AssetID
		if key == "" {
			key = scanner.AdHocID(t.ip)
		}
		i, ok := index[key]
		if !ok {
			i, index[key] = len(items), len(items)
			items = append(items, scanner.Fixed{AssetID: f.AssetID, Tier: riskmap.TierStandard, Ports: []int{}, Reason: "confirm new serious findings"})
		}
		it := &items[i]
		if !slices.Contains(it.IPs, t.ip) {
			it.IPs = append(it.IPs, t.ip) // an asset with findings on several addresses
		}
		it.Ports = append(it.Ports, t.port)
	}
	plan, err := l.profiles.PlanFor(l.now(), items)
	if err != nil {
		return nil, 0, err
	}
	routeLikePlan(plan, rep.Plan)
	rec, err := l.record(ctx, plan, scope, rep.Metrics.ID, "confirm")
	if err != nil {
		return nil, 0, err
	}
	rep.Ingested.add(rec.Rows)
	again := map[string]riskmap.Finding{}
	for _, f := range rec.Findings {
		again[fmt.Sprintf("%s|%d|%s", f.IP, f.Port, f.RuleID)] = f
	}
	var confirmed []riskmap.Finding
	failed := 0
	for _, t := range order {
		for _, f := range byTarget[t] {
			// Host-level findings are not rescanned: they stand as found.
			if t.port == 0 {
				confirmed = append(confirmed, f)
				continue
			}
			if g, ok := again[fmt.Sprintf("%s|%d|%s", f.IP, f.Port, f.RuleID)]; ok && g.Severity.Serious() {
				if g.AssetID == "" {
					g.AssetID = f.AssetID
				}
				confirmed = append(confirmed, g)
			} else {
				failed++
			}
		}
	}
	return confirmed, failed, nil
}
