package main

import (
	"context"
	"fmt"
	"time"

	"github.com/riskmap/riskmap/report"
)

func (m *Main) runReport(ctx context.Context, args []string) error {
	fs := m.flags("report", "[-o FILE]", "Write one self-contained HTML file about the workspace: risk distribution, top\nassets with reasons, coverage against probes, findings and changes over cycles,\nmodel metrics over versions, and exposure by VPC, subnet and security group.\nCharts are inline SVG; the file fetches nothing.")
	out := fs.String("o", "riskmap-report.html", "output FILE")
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := m.store()
	if err != nil {
		return err
	}
	if err := report.WriteReport(ctx, s, *out, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "wrote %s\n", *out)
	return nil
}
