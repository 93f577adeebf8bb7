package datasets_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/riskmap/riskmap/datasets"
)

func TestCoverageRoundTrip(t *testing.T) {
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
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	rows := []datasets.Coverage{
		{ScanID: "s1", ScanTime: at, AssetID: "i-1", IP: "127.0.0.2", Proto: "tcp", Ranges: []datasets.PortRange{{From: 1, To: 1000}, {From: 6379, To: 6379}, {From: 40000, To: 41023}}},
		{ScanID: "s1", ScanTime: at, IP: "127.0.0.3", Proto: "tcp", Ranges: []datasets.PortRange{{From: 1, To: 65535}}},
	}
	rec := datasets.CoverageRecord(mem, rows)
	err = w.WriteTable(datasets.TableCoverage, "day=2026-11-22", "s1", rec)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	got, err := datasets.ReadAll(ctx, s, datasets.TableCoverage, nil, datasets.DecodeCoverage)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, rows)
	}
	if _, err := datasets.Schema(datasets.TableCoverage); err != nil {
		t.Errorf("coverage is not a fixed table: %v", err)
	}
}

func TestCoverageBadRow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewRecordBuilder(mem, datasets.CoverageSchema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append("s1")
	b.Field(1).AppendNull()
	b.Field(2).(*array.StringBuilder).Append("i-1")
	b.Field(3).(*array.StringBuilder).Append("127.0.0.2")
	b.Field(4).(*array.StringBuilder).Append("tcp")
	for f, v := range []int32{900, 80} { // from 900 to 80: upside down
		lb := b.Field(5 + f).(*array.ListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Int32Builder).Append(v)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	_, err := datasets.DecodeCoverage(rec)
	if err == nil || !strings.Contains(err.Error(), "row 0") || !strings.Contains(err.Error(), "900-80") {
		t.Fatalf("got %v, want an error naming row 0 and the range 900-80", err)
	}
}
