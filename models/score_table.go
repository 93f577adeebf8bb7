package models

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

// ScoredRowsSchema is what ScoreFeatureTable writes: one score per feature row.
var ScoredRowsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "asset_id", Type: arrow.BinaryTypes.String},
	{Name: "as_of", Type: datasets.Timestamp, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float32},
}, nil)

// ScoreFeatureTable streams every row of the workspace's features table through a model
// (one reused onnxruntime session, large batches) and writes asset_id, as_of, score as
// Parquet to w: the batch path from Parquet to Parquet, whose memory is one batch whatever
// the table's size. It returns the rows scored. w is not closed; a failed write to it is an
// error (never a panic) naming the cause.
func ScoreFeatureTable(ctx context.Context, s *datasets.Store, m *Model, opts ScorerOptions, w io.Writer) (int, error) {
	names := features.Names()
	if err := m.CheckFeatures(names, features.Version); err != nil {
		return 0, err
	}
	sc, err := NewScorer(m, opts)
	if err != nil {
		return 0, err
	}
	defer sc.Close()
	mem := s.Allocator()
	rows := 0
	// arrow-go's Parquet writer panics on some failed writes (a full disk): the guard makes
	// that an error naming the cause.
	err = datasets.GuardParquet("score table", w, func(w io.Writer) error {
		fw, err := pqarrow.NewFileWriter(ScoredRowsSchema, w,
			parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithAllocator(mem)),
			pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
		if err != nil {
			return err
		}
		var x, out []float32
		err = s.Scan(ctx, datasets.TableFeatures, datasets.ScanOptions{BatchRows: opts.BatchRows}, func(f datasets.File, rec arrow.RecordBatch) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			_, n, err := features.RowMajor(rec, names, &x)
			if err != nil {
				return fmt.Errorf("%s: %w", f.Path, err)
			}
			out = grow(out, n)
			if err := sc.Score(x, n, out); err != nil {
				return err
			}
			b := array.NewRecordBuilder(mem, ScoredRowsSchema)
			defer b.Release()
			b.Field(2).(*array.Float32Builder).AppendValues(out, nil)
			id, asOf := rec.Schema().FieldIndices("asset_id"), rec.Schema().FieldIndices("as_of")
			if len(id) != 1 || len(asOf) != 1 {
				return fmt.Errorf("%s: want one asset_id and one as_of column", f.Path)
			}
			cols := []arrow.Array{rec.Column(id[0]), rec.Column(asOf[0]), b.Field(2).NewArray()}
			defer cols[2].Release()
			outRec := array.NewRecordBatch(ScoredRowsSchema, cols, int64(n))
			defer outRec.Release()
			rows += n
			return fw.WriteBuffered(outRec)
		})
		if err != nil {
			fw.Close()
			return err
		}
		return fw.Close()
	})
	return rows, err
}
