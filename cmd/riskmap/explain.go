package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/scanner"
)

// explainPlan prints why each port of asset is in the next plan.
func (m *Main) explainPlan(ctx context.Context, loop *engine.Loop, asset string, asJSON bool) error {
	it, why, err := loop.Explain(ctx, asset)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"asset_id": asset, "item": it, "ports": why})
	}
	if it == nil {
		fmt.Fprintf(m.Stdout, "%s: not in the next plan (see the plan's skipped counts)\n", asset)
		return nil
	}
	fmt.Fprintf(m.Stdout, "%s: %s, %d ports, %d probes\n", asset, it.Tier, len(it.Ports), it.Probes)
	for _, r := range it.Reasons {
		fmt.Fprintf(m.Stdout, "  %s\n", r)
	}
	// Ports that share a reason print on one line, in nmap's port syntax: a sweep's blocks or a
	// tier's list would otherwise take hundreds of lines.
	var order []string
	ports := map[string][]int{}
	for _, pw := range why {
		if _, ok := ports[pw.Why]; !ok {
			order = append(order, pw.Why)
		}
		ports[pw.Why] = append(ports[pw.Why], pw.Port)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PORTS\tWHY")
	for _, w := range order {
		list := scanner.PortList(ports[w]).String()
		if len(list) > 60 {
			list = fmt.Sprintf("%d ports: %s...", len(ports[w]), list[:strings.LastIndexByte(list[:60], ',')])
		}
		fmt.Fprintf(tw, "%s\t%s\n", list, w)
	}
	return tw.Flush()
}
