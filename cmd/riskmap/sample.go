package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/riskmap/riskmap/datasets"
)

func (m *Main) runSample(ctx context.Context, args []string) error {
	fs := m.flags("sample", "DIR", "Write riskmap's bundled sample data under DIR: real nmap scans, an AWS inventory\nexport, KEV and EPSS files, and a pair of scans to diff. Then, for example:\n  riskmap ingest inventory --provider aws DIR/inventory/aws\n  riskmap intel import kev DIR/intel/known_exploited_vulnerabilities.json\n  riskmap ingest nmap DIR/nmap\n  riskmap findings; riskmap diff DIR/diff/before.xml DIR/diff/after.xml")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("want one DIR")
	}
	files, err := datasets.WriteSample(fs.Arg(0))
	if err != nil {
		return err
	}
	dir := fs.Arg(0)
	fmt.Fprintf(m.Stdout, "wrote %d sample files under %s; try:\n", len(files), dir)
	for _, c := range []string{
		"riskmap ingest inventory --provider aws " + filepath.Join(dir, "inventory", "aws"),
		"riskmap intel import kev " + filepath.Join(dir, "intel", "known_exploited_vulnerabilities.json"),
		"riskmap intel import epss " + filepath.Join(dir, "intel", "epss_scores-2025-06-01.csv.gz"),
		"riskmap ingest nmap " + filepath.Join(dir, "nmap"),
		"riskmap tables; riskmap findings",
		"riskmap diff " + filepath.Join(dir, "diff", "before.xml") + " " + filepath.Join(dir, "diff", "after.xml"),
	} {
		fmt.Fprintf(m.Stdout, "  %s\n", c)
	}
	return nil
}
