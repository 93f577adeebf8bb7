package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/riskmap/riskmap/engine"
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
	// Runs of consecutive ports with the same reason print as one line: a sweep block or a
	// tier's list would otherwise print hundreds.
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PORTS\tWHY")
	for i := 0; i < len(why); {
		j := i
		for j+1 < len(why) && why[j+1].Why == why[i].Why {
			j++
		}
		ports := fmt.Sprint(why[i].Port)
		if j > i {
			ports = fmt.Sprintf("%d-%d (%d ports)", why[i].Port, why[j].Port, j-i+1)
		}
		fmt.Fprintf(tw, "%s\t%s\n", ports, why[i].Why)
		i = j + 1
	}
	return tw.Flush()
}
