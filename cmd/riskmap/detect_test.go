package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// TestDiffDetect checks `riskmap diff --detect`: a port last probed closed in cycle 1 and
// found open in cycle 3 took one cycle more than it had to.
func TestDiffDetect(t *testing.T) {
	ws := t.TempDir()
	s, _ := datasets.Open(ws, nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for c := 0; c < 3; c++ {
		if err := datasets.WriteCycle(w, datasets.Cycle{ID: "c" + string(rune('1'+c)), Started: t0.Add(time.Duration(c) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	mem := s.Allocator()
	cov := datasets.CoverageRecord(mem, []datasets.Coverage{{ScanID: "a", ScanTime: t0.Add(time.Minute), IP: "127.0.0.2", Proto: "tcp",
		Ranges: []datasets.PortRange{{From: 40000, To: 50000}}}})
	diffs := datasets.DiffsRecord(mem, []riskmap.Diff{{AssetID: "i-1", IP: "127.0.0.2", Port: 45900, Proto: "tcp",
		Change: riskmap.ChangeNewPort, ScanID: "b", ScanTime: t0.Add(2*time.Hour + time.Minute)}})
	err1 := w.WriteTable(datasets.TableCoverage, "day=2026-03-01", "a", cov)
	err2 := w.WriteTable(datasets.TableDiffs, "day=2026-03-01", "b", diffs)
	cov.Release()
	diffs.Release()
	w.Close()
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	code, out, errOut := run(t, ws, "diff", "--detect", "--json")
	if code != exitOK {
		t.Fatalf("diff --detect: exit %d: %s", code, errOut)
	}
	var d detectionJSON
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &d); err != nil || d.Port != 45900 || d.Cycles != 1 {
		t.Fatalf("diff --detect --json: %q (%v), want port 45900 detected 1 cycle late", out, err)
	}
	if code, out, _ := run(t, ws, "diff", "--detect"); code != exitOK || !strings.Contains(out, "127.0.0.2:45900/tcp") {
		t.Errorf("diff --detect: exit %d:\n%s", code, out)
	}
}
