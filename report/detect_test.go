package report_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/report"
)

// TestReportTimeToDetect checks that the report shows each new open port with its time to
// detect: last probed in cycle 1, found in cycle 3, so one cycle went by.
func TestReportTimeToDetect(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := datasets.Open(dir, nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for c := 0; c < 3; c++ {
		if err := datasets.WriteCycle(w, datasets.Cycle{ID: "c" + string(rune('1'+c)), Started: t0.Add(time.Duration(c) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	mem := s.Allocator()
	cov := datasets.CoverageRecord(mem, []datasets.Coverage{{ScanID: "a", ScanTime: t0.Add(time.Minute), IP: "127.0.0.2", Proto: "tcp", Ranges: []datasets.PortRange{{From: 1, To: 65535}}}})
	defer cov.Release()
	diffs := datasets.DiffsRecord(mem, []riskmap.Diff{{AssetID: "i-1", IP: "127.0.0.2", Port: 45900, Proto: "tcp", Change: riskmap.ChangeNewPort, ScanID: "b", ScanTime: t0.Add(2*time.Hour + time.Minute)}})
	defer diffs.Release()
	if err := w.WriteTable(datasets.TableCoverage, "day=2026-03-01", "a", cov); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteTable(datasets.TableDiffs, "day=2026-03-01", "b", diffs); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report.html")
	if err := report.WriteReport(ctx, s, out, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Time to detect new open ports", "45900/tcp", "time to detect median 1, max 1 cycles", `<td class="n">1</td></tr>`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
