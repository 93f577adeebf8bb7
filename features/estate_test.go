package features_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

// opens counts, per file, how many times its rows were opened.
type opens struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *opens) observe(f datasets.File) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[f.Path]++
}

func estateRows(t *testing.T, e *features.Estate) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	_, err := e.Features(context.Background(), func(rec arrow.RecordBatch) error {
		ids := rec.Column(0).(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			var v []float32
			for k := 3; k < int(rec.NumCols()); k++ {
				v = append(v, rec.Column(k).(*array.Float32).Value(i))
			}
			out[ids.Value(i)] = v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEstateAdvance checks that an estate advanced past a scan written after it was read
// equals one read afresh at the later time, and that loading and advancing open each file's
// rows at most once (the assets included: their snapshots are chosen from the footers).
func TestEstateAdvance(t *testing.T) {
	ctx := context.Background()
	mem := memory.DefaultAllocator
	s := newWorkspace(t, mem)
	var o opens
	s.OnRead = o.observe
	est, err := features.LoadEstate(ctx, s, features.BuildOptions{AsOf: day(20)})
	if err != nil {
		t.Fatal(err)
	}
	before, err := est.Assets(ctx)
	if err != nil || len(before) == 0 {
		t.Fatalf("assets: %d, %v", len(before), err)
	}
	first := estateRows(t, est)

	// A later scan of the same hosts, with a port that opened since.
	sc := scans()[1]
	sc.id, sc.started = "scan-9", day(21)
	sc.hosts[0].ports = append(sc.hosts[0].ports, open(8080, "http-proxy", "", ""))
	sc.finds, sc.diffs = nil, nil
	writeScan(t, writer(t, s), mem, sc)

	if err := est.Advance(ctx, day(19)); err == nil {
		t.Fatal("advancing to an earlier time: no error")
	}
	if err := est.Advance(ctx, day(30)); err != nil {
		t.Fatal(err)
	}
	if !est.AsOf.Equal(day(30)) {
		t.Fatalf("AsOf %s after Advance, want %s", est.AsOf, day(30))
	}
	advanced := estateRows(t, est)
	for path, n := range o.n {
		if n != 1 {
			t.Errorf("%s was read %d times by LoadEstate and Advance, want once", path, n)
		}
	}
	if reflect.DeepEqual(first, advanced) {
		t.Fatal("the later scan changed no feature")
	}
	s.OnRead = nil
	fresh, err := features.LoadEstate(ctx, s, features.BuildOptions{AsOf: day(30)})
	if err != nil {
		t.Fatal(err)
	}
	want := estateRows(t, fresh)
	if !reflect.DeepEqual(advanced, want) {
		for id, v := range want {
			if !reflect.DeepEqual(advanced[id], v) {
				t.Errorf("asset %s: advanced %v, read afresh %v", id, advanced[id], v)
			}
		}
	}
	after, _ := est.Assets(ctx)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("Advance changed the assets")
	}
}
