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
// that port only) and keeps the findings that the rescan reproduces: a cheap second look that
// cuts false positives (a flapping service, a banner seen once) before anyone is paged. It
// returns the confirmed findings and the number of failed confirmations.
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
	plan := &scanner.Plan{CreatedAt: l.now()}
	netOf := map[string]string{} // the asset's network, which routes it to its segment's workers
	if rep.Plan != nil {
		for _, it := range rep.Plan.Items {
			netOf[it.AssetID] = it.Network
		}
	}
	items := map[string]int{}
	portsOf := map[string][]int{}
	for _, t := range order {
		if t.port == 0 {
			continue // a host-level finding (host scripts): nothing port-sized to rescan
		}
		f := byTarget[t][0]
		key := f.AssetID
		if key == "" {
			key = "ip:" + t.ip.String()
		}
		if _, ok := items[key]; !ok {
			items[key] = len(plan.Items)
			plan.Items = append(plan.Items, scanner.PlanItem{
				AssetID: f.AssetID, IPs: []netip.Addr{t.ip}, Network: netOf[f.AssetID], Tier: riskmap.TierStandard,
				Reasons: []string{"confirm new serious findings"},
			})
		}
		if it := &plan.Items[items[key]]; !slices.Contains(it.IPs, t.ip) {
			it.IPs = append(it.IPs, t.ip) // an asset with findings on several addresses
		}
		portsOf[key] = append(portsOf[key], t.port)
	}
	for key, i := range items {
		pl, err := scanner.NewPortList(portsOf[key])
		if err != nil {
			return nil, 0, err
		}
		plan.Items[i].Ports, plan.Items[i].Probes = pl, len(pl)
		plan.Probes += len(pl)
	}
	plan.Budget = plan.Probes
	again := map[string]bool{}
	err := l.runScans(ctx, rep.Metrics.ID+"-confirm", plan, scope, rep, func(r scanner.Result) error {
		if len(r.XML) == 0 {
			return nil
		}
		res, ing, err := l.in.Nmap(ctx, fmt.Sprintf("%s/confirm-%d-hosts", rep.Metrics.ID, len(r.Batch.Addrs)), r.XML, "confirm")
		if err != nil && res.Error == "" {
			return err
		}
		if ing != nil {
			for _, f := range ing.Findings {
				again[fmt.Sprintf("%s|%d|%s", f.IP, f.Port, f.RuleID)] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	var confirmed []riskmap.Finding
	failed := 0
	for _, t := range order {
		for _, f := range byTarget[t] {
			// Host-level findings are not rescanned: they stand as found.
			if t.port == 0 || again[fmt.Sprintf("%s|%d|%s", f.IP, f.Port, f.RuleID)] {
				confirmed = append(confirmed, f)
			} else {
				failed++
			}
		}
	}
	return confirmed, failed, nil
}
