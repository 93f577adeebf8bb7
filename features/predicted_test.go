package features_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

func TestPredictedPorts(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newWorkspace(t, mem)
	got, err := features.PredictedPorts(context.Background(), s, asOf)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   string
		want []int
	}{
		{"i-web1", []int{22, 25, 80, 443, 9200}}, // history and rules
		{"i-web2", []int{22, 25, 80, 443, 8080, 9200}},
		{"i-web3", []int{22, 25, 80, 443, 9200}}, // never scanned: its rule (443) and siblings
		{"i-db1", []int{5432, 6379, 27017}},
		{"i-win1", []int{139, 445, 3389}},        // the all-ports and UDP rules are not concrete
		{"vm-az1", []int{22, 25, 80, 443, 9200}}, // same image as the web servers
	} {
		t.Run(tc.id, func(t *testing.T) {
			if !reflect.DeepEqual(got[tc.id], tc.want) {
				t.Errorf("predicted ports %v, want %v", got[tc.id], tc.want)
			}
		})
	}
	if len(got) != 6 {
		t.Errorf("%d assets have predicted ports, want 6", len(got))
	}
}

// TestPredictedPortsCapped: a wide history and many sibling ports stay within MaxPredicted.
func TestPredictedPortsCapped(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newWorkspace(t, mem)
	var ports []port
	for p := 1000; p < 1300; p++ {
		ports = append(ports, open(p, "unknown", "", ""))
	}
	w := writer(t, s)
	writeScan(t, w, mem, scan{id: "scan-wide", started: day(14), hosts: []host{{id: "i-web2", ip: "10.0.0.2", status: "up", ports: ports}}})
	w.Close()
	got, err := features.PredictedPorts(context.Background(), s, asOf)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"i-web1", "i-web2", "i-web3"} {
		if n := len(got[id]); n != features.MaxPredicted {
			t.Errorf("%s: %d predicted ports, want the cap %d", id, n, features.MaxPredicted)
		}
	}
	// the features of a host with many ports: they index their ports instead of scanning
	// a list for each row
	rows, _ := build(t, s, features.BuildOptions{AsOf: asOf})
	for _, tc := range []struct {
		id, name string
		want     float32
	}{
		{"i-web2", "open_ports_now", 300},
		{"i-web2", "open_ports_ever", 303},
		{"i-web2", "open_ports_peak", 300},
		{"i-web1", "predicted_sibling_ports", 300},
	} {
		if got := value(t, rows, tc.id, tc.name); got != tc.want {
			t.Errorf("%s of %s = %g, want %g", tc.name, tc.id, got, tc.want)
		}
	}
	// i-web1 keeps its own history first
	for _, p := range []int{22, 25, 80, 443, 9200} {
		found := false
		for _, q := range got["i-web1"] {
			found = found || q == p
		}
		if !found {
			t.Errorf("i-web1 lost its own port %d to the cap", p)
		}
	}
}

func TestLabels(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newWorkspace(t, mem)
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     map[string]bool
	}{
		{"scan-1", day(0), day(5), map[string]bool{"i-web1": false, "i-web2": false, "i-db1": true, "i-win1": true}},
		{"scan-2", day(5), day(20), map[string]bool{"i-web1": false, "i-web2": false, "i-db1": true}}, // i-win1 was down
		{"both", day(0), day(20), map[string]bool{"i-web1": false, "i-web2": false, "i-db1": true, "i-win1": true}},
		{"boundary excluded", day(1), day(12), map[string]bool{"i-web1": false, "i-web2": false, "i-db1": true}},
		{"none", day(20), day(30), map[string]bool{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := features.Labels(context.Background(), s, tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("labels %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := features.Labels(context.Background(), s, day(5), day(5)); err == nil {
		t.Error("Labels accepted an empty window")
	}
}

// TestLabelsBadSeverity: a corrupt severity is an error that names the file and row.
func TestLabelsBadSeverity(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newWorkspace(t, mem)
	w := writer(t, s)
	rec := datasets.FindingsRecord(mem, []riskmap.Finding{{ScanID: "scan-1", AssetID: "i-web1", RuleID: "x"}})
	// rebuild the record with a severity riskmap never writes
	write(t, w, datasets.TableFindings, "day=2026-03-02", "bad", replaceColumn(t, mem, rec, "severity", "severe"))
	w.Close()
	if _, err := features.Labels(context.Background(), s, day(0), day(5)); err == nil {
		t.Error("Labels accepted severity \"severe\"")
	}
	if _, err := features.Build(context.Background(), s, features.BuildOptions{AsOf: asOf}, nopEmit); err == nil {
		t.Error("Build accepted severity \"severe\"")
	}
}
