package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/features/inventory"
	"github.com/riskmap/riskmap/ingest"
)

func (m *Main) runIngest(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(m.Stdout, "Usage: riskmap ingest nmap [--json] PATH...\n       riskmap ingest inventory --provider aws|azure|gcp|csv|jsonl [--json] PATH...")
		fmt.Fprintln(m.Stdout, "\nPATH is a file, a directory (read recursively) or - for standard input.")
		if len(args) == 0 {
			return usageError("ingest what: nmap or inventory")
		}
		return nil
	}
	switch args[0] {
	case "nmap":
		return m.runIngestNmap(ctx, args[1:])
	case "inventory":
		return m.runIngestInventory(ctx, args[1:])
	}
	return usageError("ingest %q: want nmap or inventory", args[0])
}

// input is one named input read from a path or stdin.
type input struct {
	name string
	data []byte
	err  error
}

// inputs expands paths (files, directories read recursively for the given extensions, or -)
// in order. A path that cannot be read becomes an input with its error.
func (m *Main) inputs(paths []string, exts ...string) []input {
	var out []input
	for _, p := range paths {
		if p == "-" {
			b, err := io.ReadAll(m.Stdin)
			out = append(out, input{name: "<stdin>", data: b, err: err})
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			out = append(out, input{name: p, err: err})
			continue
		}
		if !info.IsDir() {
			b, err := os.ReadFile(p)
			out = append(out, input{name: p, data: b, err: err})
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && hasExt(path, exts) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			out = append(out, input{name: p, err: err})
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			out = append(out, input{name: f, data: b, err: err})
		}
	}
	return out
}

func hasExt(path string, exts []string) bool {
	for _, e := range exts {
		if strings.HasSuffix(strings.ToLower(path), e) {
			return true
		}
	}
	return false
}

func (m *Main) runIngestNmap(ctx context.Context, args []string) error {
	fs := m.flags("ingest nmap", "[--json] PATH...", "Ingest nmap XML (-oX) files. Each scan is kept raw under raw/nmap/ and\nits hosts and ports become rows of the scans, hosts and observations tables.\nIngesting the same file twice changes nothing.")
	asJSON := fs.Bool("json", false, "print one JSON object per input")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("no PATH given")
	}
	w, err := m.writer()
	if err != nil {
		return err
	}
	defer w.Close()
	in := ingest.NewIngester(w)
	cfg, err := engine.LoadConfig(m.workspace)
	if err != nil {
		return err
	}
	if cfg.Rules != "" {
		if in.Rules, err = ingest.LoadRules(cfg.Rules); err != nil {
			return err
		}
	}
	if _, err := in.Recover(ctx); err != nil {
		return err
	}
	refused := 0
	ins := m.inputs(fs.Args(), ".xml")
	for i, f := range ins {
		m.progress("ingest %d/%d %s", i+1, len(ins), f.name)
		var res ingest.NmapIngest
		if f.err != nil {
			res = ingest.NmapIngest{File: f.name, Error: f.err.Error()}
		} else {
			res, _, err = in.Nmap(ctx, f.name, f.data, "")
			if err != nil && res.Error == "" {
				m.progressDone()
				return err // the workspace failed, not the input
			}
		}
		if res.Error != "" {
			refused++
		}
		if res.Warnings == nil {
			res.Warnings = []string{}
		}
		m.progressDone()
		if *asJSON {
			b, _ := json.Marshal(res)
			fmt.Fprintln(m.Stdout, string(b))
			continue
		}
		switch {
		case res.Error != "":
			fmt.Fprintf(m.Stderr, "refused %s\n", res.Error)
		default:
			state := "complete"
			if !res.Complete {
				state = "INCOMPLETE"
			}
			note := ""
			if res.Already {
				note = " (already ingested)"
			}
			fmt.Fprintf(m.Stdout, "%s: scan %s, %d hosts up, %d down, %d open ports, %s%s\n",
				res.File, res.ScanID[:12], res.HostsUp, res.HostsDown, res.PortsOpen, state, note)
			for _, w := range res.Warnings {
				fmt.Fprintf(m.Stderr, "warning: %s\n", w)
			}
		}
	}
	if refused > 0 {
		return errReported
	}
	return nil
}

func (m *Main) runIngestInventory(ctx context.Context, args []string) error {
	fs := m.flags("ingest inventory", "--provider aws|azure|gcp|csv|jsonl [--json] PATH...", "Import cloud inventory exports as one snapshot of the estate. Give all the files\nof one provider together (AWS instances with their security groups, Azure VMs\nwith their NSGs and NICs, GCP instances with their firewall rules).")
	asJSON := fs.Bool("json", false, "print one JSON object per input")
	provider := fs.String("provider", "", "aws, azure, gcp, csv or jsonl")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *provider == "":
		return usageError("--provider is required (%s)", inventory.ProviderList())
	case !inventory.KnownProvider(*provider):
		return usageError("--provider %q: want %s", *provider, inventory.ProviderList())
	}
	if fs.NArg() == 0 {
		return usageError("no PATH given")
	}
	w, err := m.writer()
	if err != nil {
		return err
	}
	defer w.Close()
	var files []ingest.InventoryInput
	var unread []ingest.InventoryIngest
	for _, f := range m.inputs(fs.Args(), ".json", ".csv", ".jsonl") {
		if f.err != nil {
			unread = append(unread, ingest.InventoryIngest{File: f.name, Error: f.err.Error(), Warnings: []string{}})
			continue
		}
		files = append(files, ingest.InventoryInput{Name: f.name, Data: f.data})
	}
	snap, err := ingest.NewIngester(w).Inventory(ctx, *provider, files)
	if err != nil {
		return err
	}
	results := append(unread, snap.Files...)
	refused := 0
	for _, r := range results {
		if r.Error != "" {
			refused++
		}
		if r.Warnings == nil {
			r.Warnings = []string{}
		}
		if *asJSON {
			b, _ := json.Marshal(r)
			fmt.Fprintln(m.Stdout, string(b))
			continue
		}
		if r.Error != "" {
			fmt.Fprintf(m.Stderr, "refused %s\n", r.Error)
			continue
		}
		fmt.Fprintf(m.Stdout, "%s: %s, %d assets, %d rules\n", r.File, r.Shape, r.Assets, r.Rules)
		for _, w := range r.Warnings {
			fmt.Fprintf(m.Stderr, "warning: %s\n", w)
		}
	}
	if !*asJSON && snap.SnapshotID != "" {
		note := ""
		if snap.Already {
			note = " (already ingested)"
		}
		fmt.Fprintf(m.Stdout, "snapshot %s: %d assets%s\n", snap.SnapshotID[:12], snap.Assets, note)
		for _, w := range snap.Warnings {
			fmt.Fprintf(m.Stderr, "warning: %s\n", w)
		}
	}
	if refused > 0 {
		return errReported
	}
	return nil
}
