package ingest_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/ingest"
)

// TestCoverageAtIngest checks that an ingested scan records which ports it probed on each host
// that was up, from its -p option, and that a --top-ports scan records nothing.
func TestCoverageAtIngest(t *testing.T) {
	ctx := context.Background()
	s, _ := datasets.Open(t.TempDir(), nil)
	w, _ := s.Writer()
	defer w.Close()
	in := ingest.NewIngester(w)
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	hosts := func() []riskmap.Host {
		return []riskmap.Host{{IP: "127.0.0.2", Status: "up"}, {IP: "127.0.0.3", Status: "down"}}
	}
	if _, err := in.Record(ctx, riskmap.Scan{ID: "a", Started: at, Args: "nmap -n -sV -p 22,80,40000-40255 127.0.0.2 127.0.0.3", Complete: true}, hosts(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Record(ctx, riskmap.Scan{ID: "b", Started: at.Add(time.Hour), Args: "nmap -n --top-ports 100 127.0.0.2", Complete: true}, hosts(), nil); err != nil {
		t.Fatal(err)
	}
	got, err := datasets.ReadAll(ctx, s, datasets.TableCoverage, nil, datasets.DecodeCoverage)
	if err != nil {
		t.Fatal(err)
	}
	want := []datasets.Coverage{{ScanID: "a", ScanTime: at, IP: "127.0.0.2", Proto: "tcp",
		Ranges: []datasets.PortRange{{From: 22, To: 22}, {From: 80, To: 80}, {From: 40000, To: 40255}}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("coverage:\n got %+v\nwant %+v", got, want)
	}
}
