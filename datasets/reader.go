package datasets

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// DefaultBatchRows is the number of rows a reader hands over at a time.
const DefaultBatchRows = 64 * 1024

// ScanOptions select what Scan reads.
type ScanOptions struct {
	Columns   []string        // nil means every column
	BatchRows int             // 0 means DefaultBatchRows
	Filter    func(File) bool // nil means every file
}

// Scan streams the record batches of every visible file of table, in file order, to fn.
// Memory stays bounded by the batch size. The batch is valid only during the call: fn must
// Retain it (and later Release) to keep it. An error from fn stops the scan and is returned.
func (s *Store) Scan(ctx context.Context, table string, opts ScanOptions, fn func(File, arrow.RecordBatch) error) error {
	files, err := s.Files(table)
	if err != nil {
		return err
	}
	for _, f := range files {
		if opts.Filter != nil && !opts.Filter(f) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.scanFile(ctx, f, opts, fn); err != nil {
			return err
		}
	}
	return nil
}

// OpenRows opens a file of the store to read its rows, telling OnRead. The caller closes it.
func (s *Store) OpenRows(f File) (*file.Reader, error) {
	if s.OnRead != nil {
		s.OnRead(f)
	}
	pf, err := file.OpenParquetFile(f.Path, false)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	return pf, nil
}

func (s *Store) scanFile(ctx context.Context, f File, opts ScanOptions, fn func(File, arrow.RecordBatch) error) error {
	pf, err := s.OpenRows(f)
	if err != nil {
		return err
	}
	defer pf.Close()
	batch := opts.BatchRows
	if batch <= 0 {
		batch = DefaultBatchRows
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(batch)}, s.mem)
	if err != nil {
		return fmt.Errorf("read %s: %w", f.Path, err)
	}
	var cols []int
	if opts.Columns != nil {
		// pqarrow selects by Parquet leaf column, not by Arrow field: a nested field (a list,
		// a struct) has several leaves, so map each name to every leaf under it.
		sc := pf.MetaData().Schema
		for _, name := range opts.Columns {
			found := false
			for i := 0; i < sc.NumColumns(); i++ {
				if path := sc.Column(i).ColumnPath(); len(path) > 0 && path[0] == name {
					cols = append(cols, i)
					found = true
				}
			}
			if !found {
				return fmt.Errorf("read %s: no column %q", f.Path, name)
			}
		}
	}
	rr, err := fr.GetRecordReader(ctx, cols, nil)
	if err != nil {
		return fmt.Errorf("read %s: %w", f.Path, err)
	}
	defer rr.Release()
	for rr.Next() {
		if err := fn(f, rr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return fmt.Errorf("read %s: %w", f.Path, err)
	}
	return nil
}

// TableInfo summarises one table.
type TableInfo struct {
	Name       string `json:"table"`
	Rows       int64  `json:"rows"`
	Files      int    `json:"files"`
	Partitions int    `json:"partitions"`
	Bytes      int64  `json:"bytes"`
}

// Tables summarises every table, from Parquet footers only.
func (s *Store) Tables() ([]TableInfo, error) {
	var out []TableInfo
	for _, name := range TableNames() {
		files, err := s.Files(name)
		if err != nil {
			return nil, err
		}
		ti := TableInfo{Name: name, Files: len(files)}
		parts := map[string]bool{}
		for _, f := range files {
			n, err := RowCount(f.Path)
			if err != nil {
				return nil, err
			}
			ti.Rows += n
			ti.Bytes += f.Size
			parts[f.Partition] = true
		}
		ti.Partitions = len(parts)
		out = append(out, ti)
	}
	return out, nil
}

// RowCount reads a Parquet file's row count from its footer.
func RowCount(path string) (int64, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	defer pf.Close()
	return pf.NumRows(), nil
}

// ReadAll decodes every row of table (files chosen by filter, nil for all) with decode. It
// holds the whole result in memory: use it for small tables (scans, assets of one snapshot)
// and Scan for large ones.
func ReadAll[T any](ctx context.Context, s *Store, table string, filter func(File) bool, decode func(arrow.RecordBatch) ([]T, error)) ([]T, error) {
	var out []T
	err := s.Scan(ctx, table, ScanOptions{Filter: filter}, func(f File, rec arrow.RecordBatch) error {
		rows, err := decode(rec)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		out = append(out, rows...)
		return nil
	})
	return out, err
}
