package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/features/inventory"
	"github.com/riskmap/riskmap/features/nmapxml"
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

// input is one named input: stdin (read at once) or a file, read only when it is used, so
// that a directory of scans is never held in memory all together.
type input struct {
	name string
	path string // "" for stdin
	data []byte
	err  error
}

// load returns the input's bytes, reading its file now.
func (f input) load() ([]byte, error) {
	if f.err != nil || f.path == "" {
		return f.data, f.err
	}
	return os.ReadFile(f.path)
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
			out = append(out, input{name: p, path: p})
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
			out = append(out, input{name: f, path: f})
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
	partMB := fs.Int("part-mb", 64, "ingest a file larger than this many MiB as parts of about this size, each a scan of its own, so that memory does not grow with the file (0: never split)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("no PATH given")
	}
	if *partMB < 0 {
		return usageError("--part-mb %d: want 0 (never split) or more", *partMB)
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
		err := m.ingestNmapInput(ctx, in, f, *partMB<<20, func(res ingest.NmapIngest) {
			if res.Error != "" {
				refused++
			}
			m.reportNmapIngest(res, *asJSON)
		})
		m.progressDone()
		if err != nil {
			return err // the workspace failed, not the input
		}
	}
	if refused > 0 {
		return errReported
	}
	return nil
}

// ingestNmapInput ingests one input and reports each result. A file larger than partBytes
// is not read whole: nmapxml.Split cuts it into standalone parts of about partBytes of hosts,
// each ingested as a scan of its own (named "FILE part N (from line L)"), so that memory
// depends on partBytes, not on the file. Only an error of the workspace is returned.
func (m *Main) ingestNmapInput(ctx context.Context, in *ingest.Ingester, f input, partBytes int, report func(ingest.NmapIngest)) error {
	one := func(name string, data []byte) error {
		res, _, err := in.Nmap(ctx, name, data, "")
		if err != nil && res.Error == "" {
			return err
		}
		report(res)
		return nil
	}
	if f.path != "" && f.err == nil && partBytes > 0 {
		file, err := os.Open(f.path)
		if err != nil {
			report(ingest.NmapIngest{File: f.name, Error: err.Error()})
			return nil
		}
		defer file.Close()
		st, err := file.Stat()
		if err == nil && st.Size() > int64(partBytes) {
			err = nmapxml.Split(file, st.Size(), partBytes, func(p nmapxml.Part) error {
				if p.Index == 0 && p.Last {
					return one(f.name, p.Doc)
				}
				return one(fmt.Sprintf("%s part %d (from line %d)", f.name, p.Index+1, p.FirstLine), p.Doc)
			})
			if !errors.Is(err, nmapxml.ErrNoSplit) {
				return err
			}
		}
	}
	data, err := f.load()
	if err != nil {
		report(ingest.NmapIngest{File: f.name, Error: err.Error()})
		return nil
	}
	return one(f.name, data)
}

// reportNmapIngest prints one ingest result.
func (m *Main) reportNmapIngest(res ingest.NmapIngest, asJSON bool) {
	if res.Warnings == nil {
		res.Warnings = []string{}
	}
	if asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(m.Stdout, string(b))
		return
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
		data, err := f.load() // one snapshot is imported whole: every file is needed at once
		if err != nil {
			unread = append(unread, ingest.InventoryIngest{File: f.name, Error: err.Error(), Warnings: []string{}})
			continue
		}
		files = append(files, ingest.InventoryInput{Name: f.name, Data: data})
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
