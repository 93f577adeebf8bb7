package main

import (
	"bufio"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/nmapxml"
)

// TestIngestLargeFileInParts: a file larger than --part-mb is ingested as standalone parts,
// each a complete scan, holding together every host of the file; ingesting it again changes
// nothing.
func TestIngestLargeFileInParts(t *testing.T) {
	dir, ws := t.TempDir(), t.TempDir()
	path := filepath.Join(dir, "big.xml")
	if err := writeFile(path, func(w *bufio.Writer) error { return nmapxml.WriteSynthetic(w, 1200, 3) }); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		code, out, errOut := run(t, ws, "ingest", "nmap", "--json", "--part-mb", "1", path)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) < 3 {
			t.Fatalf("%d results, want the file in several parts:\n%s", len(lines), out)
		}
		for _, l := range lines {
			var r struct {
				File     string `json:"file"`
				Complete bool   `json:"complete"`
				Already  bool   `json:"already_ingested"`
				Error    string `json:"error"`
			}
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatal(err)
			}
			if !r.Complete || r.Error != "" || !strings.Contains(r.File, "big.xml part ") || r.Already != (round == 1) {
				t.Errorf("round %d: %s", round, l)
			}
		}
	}
	s, err := datasets.Open(ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := datasets.ReadAll(context.Background(), s, datasets.TableHosts, nil, datasets.DecodeHosts)
	if err != nil || len(hosts) != 1200 {
		t.Errorf("%d host rows (%v), want the file's 1200", len(hosts), err)
	}
}
