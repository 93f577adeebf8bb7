package features

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// RowMajor copies a features batch (Build's output, or a batch of the features table) into *x,
// reused and grown as needed, row-major in the order of names, and returns the batch's asset ids
// and row count. Columns are found by name, so a table whose columns are in another order reads
// the same; a missing column or one of another type is an error naming it.
func RowMajor(rec arrow.RecordBatch, names []string, x *[]float32) ([]string, int, error) {
	sc := rec.Schema()
	col := func(name string) (arrow.Array, error) {
		idx := sc.FieldIndices(name)
		if len(idx) != 1 {
			return nil, fmt.Errorf("features: batch has %d columns %q, want 1", len(idx), name)
		}
		return rec.Column(idx[0]), nil
	}
	a, err := col("asset_id")
	if err != nil {
		return nil, 0, err
	}
	ids, ok := a.(*array.String)
	if !ok {
		return nil, 0, fmt.Errorf("features: column asset_id is %s, want string", a.DataType())
	}
	n, cols := int(rec.NumRows()), len(names)
	if cap(*x) < n*cols {
		*x = make([]float32, n*cols)
	}
	*x = (*x)[:n*cols]
	out := make([]string, n)
	for i := 0; i < n; i++ {
		out[i] = ids.Value(i)
	}
	for f, name := range names {
		a, err := col(name)
		if err != nil {
			return nil, 0, err
		}
		c, ok := a.(*array.Float32)
		if !ok {
			return nil, 0, fmt.Errorf("features: column %s is %s, want float32", name, a.DataType())
		}
		vals := c.Float32Values()
		for i := 0; i < n; i++ {
			(*x)[i*cols+f] = vals[i]
		}
	}
	return out, n, nil
}
