package datasets_test

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// TestDiffsTimeToDetect writes a diffs partition at schema 1 (before first_possible and
// detect_cycles) next to one at the current schema, and reads both: the old rows come back with
// the time to detect unknown, the new ones with it, and only new_port rows carry it.
func TestDiffsTimeToDetect(t *testing.T) {
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
	if v := datasets.DiffsSchema.Metadata().Values()[0]; v != "2" {
		t.Fatalf("diffs schema version %q, want 2", v)
	}

	// Schema 1, as earlier releases wrote it.
	old := arrow.NewSchema(datasets.DiffsSchema.Fields()[:10], nil)
	b := array.NewRecordBuilder(mem, old)
	for i, v := range []string{"i-old", "127.0.0.5", "", "tcp", riskmap.ChangeNewPort, "", "open telnet", "s-old", "", ""} {
		switch i {
		case 2:
			b.Field(i).(*array.Int32Builder).Append(23)
		case 9:
			b.Field(i).(*array.TimestampBuilder).Append(arrow.Timestamp(t0.UnixMicro()))
		default:
			b.Field(i).(*array.StringBuilder).Append(v)
		}
	}
	rec := b.NewRecordBatch()
	b.Release()
	err = w.WriteTable(datasets.TableDiffs, datasets.DayPartition(t0), "old", rec)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}

	later := t0.Add(48 * time.Hour)
	fresh := []riskmap.Diff{
		{AssetID: "i-new", IP: "127.0.0.6", Port: 42323, Proto: "tcp", Change: riskmap.ChangeNewPort, After: "open telnet", ScanID: "s-new", ScanTime: later, FirstPossible: later.Add(-2 * time.Hour), DetectCycles: 2},
		{AssetID: "i-new", IP: "127.0.0.6", Port: 22, Proto: "tcp", Change: riskmap.ChangeVersionChanged, Before: "8.9", After: "9.6", ScanID: "s-new", ScanTime: later},
	}
	rec = datasets.DiffsRecord(mem, fresh)
	err = w.WriteTable(datasets.TableDiffs, datasets.DayPartition(later), "new", rec)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}

	got, err := datasets.ReadAll(ctx, s, datasets.TableDiffs, nil, datasets.DecodeDiffs)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool {
		return got[i].ScanTime.Before(got[j].ScanTime) || got[i].ScanTime.Equal(got[j].ScanTime) && got[i].Port > got[j].Port
	})
	want := append([]riskmap.Diff{{AssetID: "i-old", IP: "127.0.0.5", Port: 23, Proto: "tcp", Change: riskmap.ChangeNewPort, After: "open telnet", ScanID: "s-old", ScanTime: t0}}, fresh...)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("diffs read back:\n got %+v\nwant %+v", got, want)
	}
}
