package datasets_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// TestLoopTablesRoundTrip writes the tables the loop and ingest own (cycles, alerts, kev,
// epss) through the Writer as Parquet and reads them back by column name.
func TestLoopTablesRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	s, err := datasets.Open(t.TempDir(), mem)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	cycles := []datasets.Cycle{
		{ID: "cycle-2", Started: t0.Add(2 * 3600e9), Finished: t0.Add(3 * 3600e9), Probes: 1 << 33, Budget: 9, HostsLight: 1, HostsStandard: 2, HostsDeep: 3, HostsExplore: 4, FindingsNew: 5, FindingsConfirmed: 6, ConfirmationsFailed: 7, CatchRate: 0.5, RateChanges: 8, Alerts: 9, ModelVersion: "risk@1", Notes: "n",
			Segments: []datasets.CycleSegment{{Segment: "east", Jobs: 4, Done: 2, Refused: 1, Dead: 1}, {Segment: "west", Jobs: 3, Queued: 3}}, Unrouted: 2},
		{ID: "cycle-1", Started: t0},
	}
	for _, c := range cycles {
		if err := datasets.WriteCycle(w, c); err != nil {
			t.Fatal(err)
		}
	}
	gotCycles, err := datasets.ReadCycles(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if want := []datasets.Cycle{cycles[1], cycles[0]}; !reflect.DeepEqual(gotCycles, want) {
		t.Errorf("cycles, oldest first:\n got %+v\nwant %+v", gotCycles, want)
	}

	alerts := []riskmap.Alert{{Schema: riskmap.AlertSchema, ID: "a1", Time: t0, AssetID: "i-1", IP: "127.0.0.9", Port: 6379, Kind: "finding", Severity: "high", Title: "t", Why: "w", Action: "x", Anomaly: 0.25, ScanID: "s"}}
	rec := datasets.AlertsRecord(s.Allocator(), alerts)
	err = w.WriteTable(datasets.TableAlerts, datasets.DayPartition(t0), "b1", rec)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	gotAlerts, err := datasets.ReadAll(ctx, s, datasets.TableAlerts, nil, datasets.DecodeAlerts)
	if err != nil || !reflect.DeepEqual(gotAlerts, alerts) {
		t.Errorf("alerts: got %+v, %v; want %+v", gotAlerts, err, alerts)
	}

	kev := []datasets.KEVRow{{CVE: "CVE-2021-44228", VendorProject: "Apache", Product: "Log4j2", Name: "Log4Shell", DateAdded: t0, DueDate: t0.Add(24 * 3600e9), Ransomware: "Known", CWEs: []string{"CWE-502", "CWE-917"}, CatalogVersion: "2026.11.20"}}
	rec = datasets.KEVRecord(s.Allocator(), kev)
	err = w.WriteTable(datasets.TableKEV, "", "k1", rec)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	gotKEV, err := datasets.ReadAll(ctx, s, datasets.TableKEV, nil, datasets.DecodeKEV)
	if err != nil || !reflect.DeepEqual(gotKEV, kev) {
		t.Errorf("kev: got %+v, %v; want %+v", gotKEV, err, kev)
	}

	epss := []datasets.EPSSRow{{CVE: "CVE-2021-44228", EPSS: 0.97, Percentile: 0.999, ModelVersion: "v2025.03.14", ScoreDate: t0}}
	rec = datasets.EPSSRecord(s.Allocator(), epss)
	err = w.WriteTable(datasets.TableEPSS, "score_date=2026-11-22", "e1", rec)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	gotEPSS, err := datasets.ReadAll(ctx, s, datasets.TableEPSS, nil, datasets.DecodeEPSS)
	if err != nil || !reflect.DeepEqual(gotEPSS, epss) {
		t.Errorf("epss: got %+v, %v; want %+v", gotEPSS, err, epss)
	}
}
