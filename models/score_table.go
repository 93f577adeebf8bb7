package models

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

// ScoredRowsSchema is what ScoreFeatureTable writes: one score per feature row. The file's
// key-value metadata adds MetaScoreEngine and the model's name.
var ScoredRowsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "asset_id", Type: arrow.BinaryTypes.String},
	{Name: "as_of", Type: datasets.Timestamp, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float32},
}, nil)

// MetaScoreEngine is the metadata key that records which engine computed scores: "native" or
// "onnxruntime" (Engine).
const MetaScoreEngine = "riskmap.engine"

// ScoreFileStats says what ScoreFeatureTable did and where its time went.
type ScoreFileStats struct {
	Rows   int
	Engine Engine
	// Read is decoding Parquet column chunks into Arrow arrays, Assemble finding the columns
	// (and replacing nulls by NaN), Score the model (which copies its rows out of the columns
	// in parallel), Write encoding and writing the output.
	Read, Assemble, Score, Write time.Duration
}

// ScoreFeatureTable streams every row of the workspace's features table through a model and
// writes asset_id, as_of, score as Parquet to w: the batch path from Parquet to Parquet, whose
// memory is one batch whatever the table's size. It reads only the columns it needs, hands the
// feature columns to the scorer as they are (a null is a missing value, NaN), scores them with
// the engine opts.Engine picks and records that engine in the output's metadata. w is not
// closed; a failed write to it is an error (never a panic) naming the cause.
func ScoreFeatureTable(ctx context.Context, s *datasets.Store, m *Model, opts ScorerOptions, w io.Writer) (ScoreFileStats, error) {
	var st ScoreFileStats
	names := features.Names()
	if err := m.CheckFeatures(names, features.Version); err != nil {
		return st, err
	}
	sc, err := NewScorer(m, opts)
	if err != nil {
		return st, err
	}
	defer sc.Close()
	st.Engine = sc.Engine()
	mem := s.Allocator()
	md := arrow.NewMetadata([]string{MetaScoreEngine, "riskmap.model_features"}, []string{string(sc.Engine()), fmt.Sprint(len(m.Features))})
	schema := arrow.NewSchema(ScoredRowsSchema.Fields(), &md)
	// arrow-go's Parquet writer panics on some failed writes (a full disk): the guard makes
	// that an error naming the cause.
	err = datasets.GuardParquet("score table", w, func(w io.Writer) error {
		fw, err := pqarrow.NewFileWriter(schema, w,
			// Dictionaries would only hash unique ids and scores: plain encoding. Snappy, not
			// the tables' zstd: a zstd encoder allocates its history window per page, which
			// cost more than the scoring in the profile, for a file that is read once.
			parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithDictionaryDefault(false), parquet.WithAllocator(mem)),
			pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem), pqarrow.WithStoreSchema()))
		if err != nil {
			return err
		}
		var (
			nulls [][]float32 // per feature, a copy of a column with nulls, NaN in their place
			out   []float32
			cols  = make([][]float32, len(names))
			b     = array.NewRecordBuilder(mem, schema)
		)
		defer b.Release()
		want := append([]string{"asset_id", "as_of"}, names...)
		mark := time.Now()
		err = s.Scan(ctx, datasets.TableFeatures, datasets.ScanOptions{BatchRows: opts.BatchRows, Columns: want}, func(f datasets.File, rec arrow.RecordBatch) error {
			t0 := time.Now()
			st.Read += t0.Sub(mark)
			defer func() { mark = time.Now() }()
			if err := ctx.Err(); err != nil {
				return err
			}
			n := int(rec.NumRows())
			ids, asOf, err := featureColumns(rec, want, cols)
			if err != nil {
				return fmt.Errorf("%s: %w", f.Path, err)
			}
			nulls = markNulls(rec, want[2:], cols, nulls)
			t1 := time.Now()
			out = grow(out, n)
			// The scorer assembles rows from the columns itself, in parallel (ScoreColumns).
			if err := sc.ScoreColumns(cols, n, out); err != nil {
				return err
			}
			t2 := time.Now()
			b.Field(2).(*array.Float32Builder).AppendValues(out, nil)
			sa := b.Field(2).NewArray()
			defer sa.Release()
			outRec := array.NewRecordBatch(schema, []arrow.Array{ids, asOf, sa}, int64(n))
			defer outRec.Release()
			st.Rows += n
			err = fw.Write(outRec) // one row group per batch: nothing of the output stays in memory
			st.Assemble, st.Score, st.Write = st.Assemble+t1.Sub(t0), st.Score+t2.Sub(t1), st.Write+time.Since(t2)
			return err
		})
		if err != nil {
			fw.Close()
			return err
		}
		t := time.Now()
		err = fw.Close()
		st.Write += time.Since(t)
		return err
	})
	return st, err
}

// featureColumns finds asset_id, as_of and the feature columns of rec by name (want: asset_id,
// as_of, then the features in order) and points cols at the features' values.
func featureColumns(rec arrow.RecordBatch, want []string, cols [][]float32) (ids, asOf arrow.Array, err error) {
	sc := rec.Schema()
	for i, name := range want {
		idx := sc.FieldIndices(name)
		if len(idx) != 1 {
			return nil, nil, fmt.Errorf("features: %d columns named %q, want 1", len(idx), name)
		}
		col := rec.Column(idx[0])
		switch i {
		case 0:
			if _, ok := col.(*array.String); !ok {
				return nil, nil, fmt.Errorf("features: column asset_id is %s, want string", col.DataType())
			}
			ids = col
		case 1:
			if !arrow.TypeEqual(col.DataType(), datasets.Timestamp) {
				return nil, nil, fmt.Errorf("features: column as_of is %s, want %s", col.DataType(), datasets.Timestamp)
			}
			asOf = col
		default:
			f, ok := col.(*array.Float32)
			if !ok {
				return nil, nil, fmt.Errorf("features: column %q is %s, want float32", name, col.DataType())
			}
			cols[i-2] = f.Float32Values()
		}
	}
	return ids, asOf, nil
}

// markNulls points cols[f] at a copy of feature f's values with NaN, the model's missing value,
// in place of its nulls, for the columns that have any; scratch holds the copies between batches.
func markNulls(rec arrow.RecordBatch, names []string, cols, scratch [][]float32) [][]float32 {
	if scratch == nil {
		scratch = make([][]float32, len(names))
	}
	nan := float32(math.NaN())
	for f, name := range names {
		col := rec.Column(rec.Schema().FieldIndices(name)[0])
		if col.NullN() == 0 {
			continue
		}
		c := append(scratch[f][:0], cols[f][:col.Len()]...)
		for i := range col.Len() {
			if col.IsNull(i) {
				c[i] = nan
			}
		}
		scratch[f], cols[f] = c, c
	}
	return scratch
}
