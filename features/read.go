package features

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/riskmap/riskmap/datasets"
)

// tableRead is one streamed read of a table: the columns it projects and the files it keeps.
// Unlike datasets.Store.Scan it reads string columns as dictionaries (the Parquet files are
// dictionary-encoded, so a batch hands over int32 indices instead of copying every string)
// and reads files in parallel, each file by one worker from start to end.
//
// Identifier columns (plainColumns) are the exception: nearly every value is distinct, so
// a dictionary would only make pqarrow hash every value into its own memo table; they are
// read plain, and a caller's memo catches the runs they come in.
type tableRead struct {
	table     string
	columns   []string
	batchRows int
	workers   int
	keep      func(datasets.File) bool // nil keeps every file
}

// plainColumns are the identifier columns read without a dictionary.
var plainColumns = map[string]bool{"asset_id": true, "ip": true}

// run calls fn with every record batch of every kept file. Each worker (0..workers-1) reads
// its share of the files in file order, so fn is never called concurrently with the same
// worker number, and the assignment of files to workers depends only on the file list. A
// batch is valid only during the call. The first error stops every worker.
func (r tableRead) run(ctx context.Context, s *datasets.Store, fn func(worker int, f datasets.File, rec arrow.RecordBatch) error) (files int, err error) {
	all, err := s.Files(r.table)
	if err != nil {
		return 0, err
	}
	var kept []datasets.File
	for _, f := range all {
		if r.keep == nil || r.keep(f) {
			kept = append(kept, f)
		}
	}
	shares := assign(kept, r.workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(shares))
	var wg sync.WaitGroup
	for w, share := range shares {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, f := range share {
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				if err := r.file(ctx, s, f, func(rec arrow.RecordBatch) error { return fn(w, f, rec) }); err != nil {
					errs[w] = err
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil && e != context.Canceled {
			return 0, e
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return len(kept), nil
}

// assign splits files among n workers: largest first, each to the least loaded worker
// (ties to the lowest number), then each share back in file order. It is deterministic.
func assign(files []datasets.File, n int) [][]datasets.File {
	if n < 1 {
		n = 1
	}
	if n > len(files) {
		n = max(len(files), 1)
	}
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return files[order[a]].Size > files[order[b]].Size })
	load := make([]int64, n)
	owner := make([]int, len(files))
	for _, i := range order {
		w := 0
		for j := 1; j < n; j++ {
			if load[j] < load[w] {
				w = j
			}
		}
		owner[i] = w
		load[w] += files[i].Size + 1
	}
	shares := make([][]datasets.File, n)
	for i, f := range files {
		shares[owner[i]] = append(shares[owner[i]], f)
	}
	return shares
}

func (r tableRead) file(ctx context.Context, s *datasets.Store, f datasets.File, fn func(arrow.RecordBatch) error) error {
	mem := s.Allocator()
	pf, err := s.OpenRows(f)
	if err != nil {
		return err
	}
	defer pf.Close()
	batch := r.batchRows
	if batch <= 0 {
		batch = datasets.DefaultBatchRows
	}
	props := pqarrow.ArrowReadProperties{BatchSize: int64(batch)}
	want := map[string]bool{}
	for _, c := range r.columns {
		want[c] = true
	}
	if want["ip"] && want["asset_id"] && joinedByID(pf) {
		delete(want, "ip")
	}
	// GetRecordReader takes leaf (Parquet column) indices, not Arrow field indices: a
	// nested field such as exposed has several leaves.
	sc := pf.MetaData().Schema
	var cols []int
	found := map[string]bool{}
	for i := 0; i < sc.NumColumns(); i++ {
		col := sc.Column(i)
		path := col.ColumnPath()
		if !want[path[0]] {
			continue
		}
		cols = append(cols, i)
		found[path[0]] = true
		// Strings inside structs stay plain: pqarrow cannot read them as dictionaries.
		if col.PhysicalType() == parquet.Types.ByteArray && len(path) <= 3 && !plainColumns[path[0]] {
			props.SetReadDict(i, true)
		}
	}
	for _, name := range r.columns {
		if !found[name] && want[name] {
			return fmt.Errorf("read %s: no column %q (table %s)", f.Path, name, r.table)
		}
	}
	fr, err := pqarrow.NewFileReader(pf, props, mem)
	if err != nil {
		return fmt.Errorf("read %s: %w", f.Path, err)
	}
	rr, err := fr.GetRecordReader(ctx, cols, nil)
	if err != nil {
		return fmt.Errorf("read %s: %w", f.Path, err)
	}
	defer rr.Release()
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(rr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return fmt.Errorf("read %s: %w", f.Path, err)
	}
	return nil
}
