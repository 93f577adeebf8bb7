package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/ingest"
)

// TestDiffsAcrossTiers checks the per-asset baseline diff at ingest: a light scan (no -sV)
// after a -sV scan reports port changes but never "service changed" for what it could not see.
func TestDiffsAcrossTiers(t *testing.T) {
	ctx := context.Background()
	s, _ := datasets.Open(t.TempDir(), nil)
	w, _ := s.Writer()
	defer w.Close()
	in := ingest.NewIngester(w)
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	scan := func(id, args string, at time.Time, obs ...riskmap.Observation) *ingest.Ingested {
		t.Helper()
		host := riskmap.Host{IP: "127.0.0.2", Status: "up", ScanTime: at}
		for i := range obs {
			obs[i].IP, obs[i].Proto, obs[i].ScanTime = "127.0.0.2", "tcp", at
		}
		ing, err := in.Record(ctx, riskmap.Scan{ID: id, Started: at, Finished: at.Add(time.Minute), Args: args, Complete: true}, []riskmap.Host{host}, obs)
		if err != nil {
			t.Fatal(err)
		}
		return ing
	}
	ssh := riskmap.Observation{Port: 22, State: "open", Service: "ssh", Product: "OpenSSH", Version: "8.9p1"}
	redis := riskmap.Observation{Port: 6379, State: "open", Service: "redis", Product: "Redis key-value store", Version: "6.0.16"}
	scan("a", "nmap -n -sV -p 22,6379", t0, ssh, redis)
	light := scan("b", "nmap -n -p 22,6379", t0.Add(time.Hour), riskmap.Observation{Port: 22, State: "open", Service: "ssh"}, riskmap.Observation{Port: 6379, State: "closed", Service: "redis"})
	if len(light.Diffs) != 1 || light.Diffs[0].Port != 6379 {
		t.Fatalf("light rescan diffs = %+v, want only redis's port state change", light.Diffs)
	}
	upgraded := ssh
	upgraded.Version = "9.6p1"
	full := scan("c", "nmap -n -sV -p 22,6379", t0.Add(2*time.Hour), upgraded, redis)
	kinds := map[string]bool{}
	for _, d := range full.Diffs {
		kinds[d.Change] = true
	}
	if !kinds[riskmap.ChangeVersionChanged] {
		t.Fatalf("-sV rescan diffs = %+v, want the SSH version change", full.Diffs)
	}
}
