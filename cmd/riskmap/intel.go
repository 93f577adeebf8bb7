package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/riskmap/riskmap/ingest"
)

func (m *Main) runIntel(ctx context.Context, args []string) error {
	fs := m.flags("intel", "import kev|epss [--json] FILE...", "Import threat intelligence into the workspace: the CISA Known Exploited\nVulnerabilities catalog (JSON or CSV) or FIRST EPSS scores (CSV, plain or gzip).\nEPSS joins findings at evaluation time; it is never baked into rules.")
	asJSON := fs.Bool("json", false, "print one JSON object per file")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() < 3 || fs.Arg(0) != "import" {
		return usageError("want: intel import kev|epss FILE...")
	}
	kind := fs.Arg(1)
	if kind != "kev" && kind != "epss" {
		return usageError("intel import %q: want kev or epss", kind)
	}
	w, err := m.writer()
	if err != nil {
		return err
	}
	defer w.Close()
	failed := false
	for _, path := range fs.Args()[2:] {
		data, err := os.ReadFile(path)
		var res ingest.IntelImport
		if err == nil {
			if kind == "kev" {
				res, err = ingest.ImportKEV(ctx, w, path, data)
			} else {
				res, err = ingest.ImportEPSS(ctx, w, path, data)
			}
		}
		if err != nil {
			failed = true
			if *asJSON {
				b, _ := json.Marshal(map[string]string{"file": path, "error": err.Error()})
				fmt.Fprintln(m.Stdout, string(b))
			} else {
				fmt.Fprintf(m.Stderr, "refused %v\n", err)
			}
			continue
		}
		if *asJSON {
			b, _ := json.Marshal(res)
			fmt.Fprintln(m.Stdout, string(b))
			continue
		}
		note := ""
		if res.Already {
			note = " (already imported)"
		}
		fmt.Fprintf(m.Stdout, "%s: %s, %d entries, version %q, date %s%s\n", path, res.Kind, res.Rows, res.Version, res.Date, note)
	}
	if failed {
		return errReported
	}
	return nil
}
