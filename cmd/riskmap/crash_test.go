package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/nmapxml"
)

// TestIngestSurvivesSIGKILL kills `riskmap ingest nmap` at random points, many times, and
// checks the workspace guarantees after each kill: every table readable, no partial file
// visible, no scan twice, and a scan's rows present whenever its scans row (the commit mark)
// is. A last uninterrupted run must leave exactly what a clean ingest leaves.
func TestIngestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the crash test runs the CLI 25 times")
	}
	in := t.TempDir()
	for i := 0; i < 24; i++ {
		f, err := os.Create(filepath.Join(in, fmt.Sprintf("scan-%02d.xml", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := nmapxml.WriteSynthetic(f, 150+i*10, int64(i)); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	cli := func(ctx context.Context, ws string, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, exe, append([]string{"-test.run=^$"}, args...)...)
		cmd.Env = append(os.Environ(), "RISKMAP_TEST_AS_CLI=1", "RISKMAP_WORKSPACE="+ws)
		return cmd
	}
	kills := 0
	for round := 0; round < 25; round++ {
		cmd := cli(context.Background(), ws, "ingest", "nmap", in)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err == nil {
			kills++
		}
		cmd.Wait()
		checkWorkspace(t, ws, fmt.Sprintf("after kill %d", round))
	}
	if out, err := cli(context.Background(), ws, "ingest", "nmap", in).CombinedOutput(); err != nil {
		t.Fatalf("final ingest: %v\n%s", err, out)
	}
	clean := t.TempDir()
	if out, err := cli(context.Background(), clean, "ingest", "nmap", in).CombinedOutput(); err != nil {
		t.Fatalf("clean ingest: %v\n%s", err, out)
	}
	got, want := rowCounts(t, ws), rowCounts(t, clean)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after %d kills and a last run the workspace holds %v, a clean ingest %v", kills, got, want)
	}
	t.Logf("%d kills; final tables %v", kills, got)
}

func rowCounts(t *testing.T, ws string) map[string]int64 {
	s, err := datasets.Open(ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	infos, err := s.Tables()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, ti := range infos {
		out[ti.Name] = ti.Rows
	}
	return out
}

func checkWorkspace(t *testing.T, ws, when string) {
	t.Helper()
	s, err := datasets.Open(ws, nil)
	if err != nil {
		t.Fatalf("%s: open: %v", when, err)
	}
	ctx := context.Background()
	for _, table := range datasets.TableNames() {
		err := s.Scan(ctx, table, datasets.ScanOptions{}, func(datasets.File, arrow.RecordBatch) error { return nil })
		if err != nil {
			t.Fatalf("%s: table %s unreadable: %v", when, table, err)
		}
	}
	scans, err := datasets.ReadAll(ctx, s, datasets.TableScans, nil, datasets.DecodeScans)
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	seen := map[string]bool{}
	for _, sc := range scans {
		if seen[sc.ID] {
			t.Fatalf("%s: scan %s is in the scans table twice", when, sc.ID)
		}
		seen[sc.ID] = true
		for _, table := range []string{datasets.TableHosts, datasets.TableObservations} {
			ok, err := s.Has(table, sc.ID)
			if err != nil || !ok {
				t.Fatalf("%s: scan %s committed but its %s rows are missing (%v)", when, sc.ID, table, err)
			}
		}
	}
	files, _ := s.Files(datasets.TableObservations)
	ids := map[string]int{}
	for _, f := range files {
		ids[f.ID()]++
		if ids[f.ID()] > 1 {
			t.Fatalf("%s: observations of %s in two files", when, f.ID())
		}
	}
}
