package features_test

import (
	"context"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

// TestDetections checks the time to detect of new ports: cycles 1-4 an hour apart, the port
// last probed closed in cycle 1, found in cycle 4: two cycles (2 and 3) could have found it
// and did not. A port no scan probed before has no time to detect.
func TestDetections(t *testing.T) {
	ctx := context.Background()
	s, _ := datasets.Open(t.TempDir(), nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for c := 0; c < 4; c++ {
		cy := datasets.Cycle{ID: "cycle-" + string(rune('1'+c)), Started: t0.Add(time.Duration(c) * time.Hour), Finished: t0.Add(time.Duration(c)*time.Hour + time.Minute)}
		if err := datasets.WriteCycle(w, cy); err != nil {
			t.Fatal(err)
		}
	}
	mem := s.Allocator()
	cov := datasets.CoverageRecord(mem, []datasets.Coverage{
		{ScanID: "a", ScanTime: t0.Add(10 * time.Minute), IP: "127.0.0.2", Proto: "tcp", Ranges: []datasets.PortRange{{From: 40000, To: 40255}}},
		{ScanID: "b", ScanTime: t0.Add(3*time.Hour + 10*time.Minute), IP: "127.0.0.2", Proto: "tcp", Ranges: []datasets.PortRange{{From: 40000, To: 40255}, {From: 50000, To: 50000}}},
	})
	defer cov.Release()
	diffs := datasets.DiffsRecord(mem, []riskmap.Diff{
		{AssetID: "i-1", IP: "127.0.0.2", Port: 40001, Proto: "tcp", Change: riskmap.ChangeNewPort, ScanID: "b", ScanTime: t0.Add(3*time.Hour + 10*time.Minute)},
		{AssetID: "i-1", IP: "127.0.0.2", Port: 50000, Proto: "tcp", Change: riskmap.ChangeNewPort, ScanID: "b", ScanTime: t0.Add(3*time.Hour + 10*time.Minute)},
	})
	defer diffs.Release()
	if err := w.WriteTable(datasets.TableCoverage, "day=2026-03-01", "ab", cov); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteTable(datasets.TableDiffs, "day=2026-03-01", "b", diffs); err != nil {
		t.Fatal(err)
	}
	got, err := features.Detections(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int{40001: 2, 50000: -1}
	if len(got) != 2 {
		t.Fatalf("%d detections, want 2: %+v", len(got), got)
	}
	for _, d := range got {
		if d.Cycles != want[d.Diff.Port] {
			t.Errorf("port %d: %d cycles to detect (last probed %v), want %d", d.Diff.Port, d.Cycles, d.LastProbed, want[d.Diff.Port])
		}
	}
}
