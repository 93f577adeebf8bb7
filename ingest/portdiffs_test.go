package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/ingest"
)

// TestNewPortsOutsideTheBaseline checks the diffs of scans whose port lists change every cycle,
// as the port-space sweep's do: a port open where no earlier scan probed is new, a port open
// where an earlier scan found it closed is new (with that scan as its baseline), and a port
// open again is no change.
func TestNewPortsOutsideTheBaseline(t *testing.T) {
	ctx := context.Background()
	s, _ := datasets.Open(t.TempDir(), nil)
	w, _ := s.Writer()
	defer w.Close()
	in := ingest.NewIngester(w)
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	n := 0
	scan := func(args string, open ...int) []riskmap.Diff {
		t.Helper()
		n++
		at := t0.Add(time.Duration(n) * time.Hour)
		var obs []riskmap.Observation
		for _, p := range open {
			obs = append(obs, riskmap.Observation{IP: "127.0.0.2", Port: p, Proto: "tcp", State: "open", Service: "telnet", ScanTime: at})
		}
		ing, err := in.Record(ctx, riskmap.Scan{ID: string(rune('a' + n)), Started: at, Finished: at.Add(time.Minute), Args: args, Complete: true},
			[]riskmap.Host{{IP: "127.0.0.2", Status: "up", ScanTime: at}}, obs)
		if err != nil {
			t.Fatal(err)
		}
		return ing.Diffs
	}
	newPorts := func(ds []riskmap.Diff) map[int]riskmap.Diff {
		out := map[int]riskmap.Diff{}
		for _, d := range ds {
			if d.Change == riskmap.ChangeNewPort {
				out[d.Port] = d
			}
		}
		return out
	}
	if ds := scan("nmap -n -sV -p 1-1000 127.0.0.2", 22); len(ds) != 0 {
		t.Fatalf("first scan of the host: diffs %v, want none", ds)
	}
	got := newPorts(scan("nmap -n -sV -p 1-1000,45900 127.0.0.2", 22, 45900))
	if d, ok := got[45900]; !ok || d.Before != "" || len(got) != 1 {
		t.Fatalf("sweep finds 45900, never probed before: new ports %v, want 45900 alone", got)
	}
	// Never probed: it could have been found at the host's first scan, which missed it.
	if d := got[45900]; !d.FirstPossible.Equal(t0.Add(time.Hour)) || d.DetectCycles != 1 {
		t.Errorf("45900: first possible %v, %d cycles to detect; want the first scan (%v), 1", d.FirstPossible, d.DetectCycles, t0.Add(time.Hour))
	}
	if got := newPorts(scan("nmap -n -sV -p 1-1000,45900-45910 127.0.0.2", 22, 45900)); len(got) != 0 {
		t.Fatalf("45900 open again: new ports %v, want none", got)
	}
	got = newPorts(scan("nmap -n -sV -p 22,45901 127.0.0.2", 22, 45901))
	if d, ok := got[45901]; !ok || d.BaselineScanID == "" {
		t.Fatalf("45901 open after a scan found it closed: new ports %v, want it with that scan as baseline", got)
	}
	// Found by the first scan after the one that saw it closed.
	if d := got[45901]; !d.FirstPossible.Equal(t0.Add(4*time.Hour)) || d.DetectCycles != 0 {
		t.Errorf("45901: first possible %v, %d cycles to detect; want this scan (%v), 0", d.FirstPossible, d.DetectCycles, t0.Add(4*time.Hour))
	}
	scan("nmap -n -sV -p 22,45920 127.0.0.2", 22) // 45920 closed
	scan("nmap -n -sV -p 22 127.0.0.2", 22)       // could have found it; did not probe it
	got = newPorts(scan("nmap -n -sV -p 22,45920 127.0.0.2", 22, 45920))
	if d := got[45920]; !d.FirstPossible.Equal(t0.Add(6*time.Hour)) || d.DetectCycles != 1 {
		t.Errorf("45920: first possible %v, %d cycles to detect; want the scan after the one that saw it closed (%v), 1", d.FirstPossible, d.DetectCycles, t0.Add(6*time.Hour))
	}
	// The table keeps them.
	all, err := datasets.ReadAll(ctx, s, datasets.TableDiffs, nil, datasets.DecodeDiffs)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		if d.Port == 45920 && d.Change == riskmap.ChangeNewPort && (d.DetectCycles != 1 || !d.FirstPossible.Equal(t0.Add(6*time.Hour))) {
			t.Errorf("diffs table row %+v: want first_possible %v and detect_cycles 1", d, t0.Add(6*time.Hour))
		}
	}
}
