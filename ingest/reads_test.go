package ingest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/ingest"
)

// TestRecordReadsNothingItKnows checks that an Ingester seeded with the inventory a cycle read
// (SeedAssets) joins addresses without reading the assets table, and that a scan it recorded
// serves as the next scan's baseline without reading hosts or observations back; an address
// the seed lacks, while the workspace holds a snapshot the seed lacks, reads the table once
// and joins as the whole inventory says.
func TestRecordReadsNothingItKnows(t *testing.T) {
	ctx := context.Background()
	s, _ := datasets.Open(t.TempDir(), nil)
	w, _ := s.Writer()
	defer w.Close()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	old := []riskmap.Asset{{ID: "i-old", Provider: "aws", Account: "1", SnapshotTime: t0.Add(-24 * time.Hour), PrivateIPs: []string{"127.0.0.3"}}}
	cur := []riskmap.Asset{{ID: "i-1", Provider: "aws", Account: "1", SnapshotTime: t0, PrivateIPs: []string{"127.0.0.2"}}}
	for id, rows := range map[string][]riskmap.Asset{"old": old, "cur": cur} {
		rec := datasets.AssetsRecord(s.Allocator(), rows)
		if err := w.WriteTable(datasets.TableAssets, "", id, rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	var mu sync.Mutex
	reads := map[string]int{}
	s.OnRead = func(f datasets.File) {
		mu.Lock()
		reads[f.Table]++
		mu.Unlock()
	}
	in := ingest.NewIngester(w)
	in.SeedAssets(cur, []time.Time{old[0].SnapshotTime})
	record := func(id, ip string, at time.Time, obs ...riskmap.Observation) *ingest.Ingested {
		t.Helper()
		for i := range obs {
			obs[i].IP, obs[i].Proto, obs[i].ScanTime = ip, "tcp", at
		}
		ing, err := in.Record(ctx, riskmap.Scan{ID: id, Started: at, Finished: at.Add(time.Minute), Args: "nmap -n -p 22,80", Complete: true},
			[]riskmap.Host{{IP: ip, Status: "up", ScanTime: at}}, obs)
		if err != nil {
			t.Fatal(err)
		}
		return ing
	}
	a := record("a", "127.0.0.2", t0.Add(time.Hour), riskmap.Observation{Port: 22, State: "open"})
	b := record("b", "127.0.0.2", t0.Add(2*time.Hour), riskmap.Observation{Port: 22, State: "open"}, riskmap.Observation{Port: 80, State: "open"})
	in.ForgetSuperseded() // b supersedes a; b stays
	c := record("c", "127.0.0.2", t0.Add(3*time.Hour), riskmap.Observation{Port: 22, State: "open"})
	if a.Hosts[0].AssetID != "i-1" || b.Hosts[0].AssetID != "i-1" {
		t.Fatalf("joined to %q and %q, want i-1", a.Hosts[0].AssetID, b.Hosts[0].AssetID)
	}
	if len(b.Diffs) != 1 || b.Diffs[0].Port != 80 || b.Diffs[0].BaselineScanID != "a" {
		t.Fatalf("b's diffs = %+v, want port 80 new against a", b.Diffs)
	}
	if len(c.Diffs) != 1 || c.Diffs[0].Port != 80 || c.Diffs[0].BaselineScanID != "b" {
		t.Fatalf("c's diffs = %+v, want port 80 gone against b", c.Diffs)
	}
	if len(reads) != 0 {
		t.Fatalf("tables read while recording what the Ingester knew: %v", reads)
	}
	moved := record("d", "127.0.0.3", t0.Add(4*time.Hour), riskmap.Observation{Port: 22, State: "open"})
	if moved.Hosts[0].AssetID != "i-old" {
		t.Fatalf("an address only an older snapshot had joined to %q, want i-old", moved.Hosts[0].AssetID)
	}
	if reads[datasets.TableAssets] != 2 { // two files, each once
		t.Fatalf("reads %v, want the two assets files once each", reads)
	}
	// More scans of the same ports: the oldest are forgotten, and nothing needs them.
	for i, id := range []string{"e", "f", "g"} {
		record(id, "127.0.0.2", t0.Add(time.Duration(5+i)*time.Hour), riskmap.Observation{Port: 22, State: "open"})
		in.ForgetSuperseded()
	}
	last := record("h", "127.0.0.2", t0.Add(8*time.Hour), riskmap.Observation{Port: 22, State: "open"}, riskmap.Observation{Port: 80, State: "open"})
	if len(last.Diffs) != 1 || last.Diffs[0].BaselineScanID != "g" {
		t.Fatalf("h's diffs = %+v, want port 80 new against g", last.Diffs)
	}
	if reads[datasets.TableHosts]+reads[datasets.TableObservations] != 0 {
		t.Fatalf("reads %v: a scan read back what the Ingester recorded", reads)
	}
}
