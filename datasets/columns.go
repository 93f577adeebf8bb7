package datasets

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// rowBuilder appends Go values to a record builder's fields by position, in schema order.
type rowBuilder struct {
	b *array.RecordBuilder
	i int
}

func (r *rowBuilder) next() array.Builder {
	f := r.b.Field(r.i)
	r.i++
	return f
}

func (r *rowBuilder) row()           { r.i = 0 }
func (r *rowBuilder) str(s string)   { r.next().(*array.StringBuilder).Append(s) }
func (r *rowBuilder) i32(v int)      { r.next().(*array.Int32Builder).Append(int32(v)) }
func (r *rowBuilder) i64(v int64)    { r.next().(*array.Int64Builder).Append(v) }
func (r *rowBuilder) f32(v float32)  { r.next().(*array.Float32Builder).Append(v) }
func (r *rowBuilder) f64(v float64)  { r.next().(*array.Float64Builder).Append(v) }
func (r *rowBuilder) boolean(v bool) { r.next().(*array.BooleanBuilder).Append(v) }
func (r *rowBuilder) time(t time.Time) {
	b := r.next().(*array.TimestampBuilder)
	if t.IsZero() {
		b.AppendNull()
		return
	}
	b.Append(arrow.Timestamp(t.UTC().UnixMicro()))
}

func (r *rowBuilder) strs(v []string) {
	lb := r.next().(*array.ListBuilder)
	lb.Append(true)
	vb := lb.ValueBuilder().(*array.StringBuilder)
	for _, s := range v {
		vb.Append(s)
	}
}

func (r *rowBuilder) ints(v []int) {
	lb := r.next().(*array.ListBuilder)
	lb.Append(true)
	vb := lb.ValueBuilder().(*array.Int32Builder)
	for _, x := range v {
		vb.Append(int32(x))
	}
}

// pairs appends a list<struct<string, string>>.
func (r *rowBuilder) pairs(n int, at func(int) (string, string)) {
	lb := r.next().(*array.ListBuilder)
	lb.Append(true)
	sb := lb.ValueBuilder().(*array.StructBuilder)
	k, v := sb.FieldBuilder(0).(*array.StringBuilder), sb.FieldBuilder(1).(*array.StringBuilder)
	for i := 0; i < n; i++ {
		a, b := at(i)
		sb.Append(true)
		k.Append(a)
		v.Append(b)
	}
}

func (r *rowBuilder) counts(m map[string]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lb := r.next().(*array.ListBuilder)
	lb.Append(true)
	sb := lb.ValueBuilder().(*array.StructBuilder)
	k, v := sb.FieldBuilder(0).(*array.StringBuilder), sb.FieldBuilder(1).(*array.Int32Builder)
	for _, key := range keys {
		sb.Append(true)
		k.Append(key)
		v.Append(int32(m[key]))
	}
}

// rowReader reads Go values out of a record by column name.
type rowReader struct {
	rec   arrow.RecordBatch
	index map[string]int
	table string
}

func newRowReader(table string, rec arrow.RecordBatch) *rowReader {
	idx := make(map[string]int, rec.NumCols())
	for i, f := range rec.Schema().Fields() {
		idx[f.Name] = i
	}
	return &rowReader{rec: rec, index: idx, table: table}
}

// need checks that the record has every named column, so a reader fails once, clearly,
// instead of on the first row.
func (r *rowReader) need(names ...string) error {
	for _, n := range names {
		if _, ok := r.index[n]; !ok {
			return fmt.Errorf("table %s: column %q missing", r.table, n)
		}
	}
	return nil
}

func (r *rowReader) col(name string) arrow.Array {
	i, ok := r.index[name]
	if !ok {
		return nil
	}
	return r.rec.Column(i)
}

// str reads a string column whether the reader handed it over plain or as a dictionary (a
// projected read encodes repeated strings as one). A dictionary value is cloned: it must
// outlive the batch.
func (r *rowReader) str(name string, row int) string {
	switch a := r.col(name).(type) {
	case *array.String:
		if !a.IsNull(row) {
			return a.Value(row)
		}
	case *array.Dictionary:
		if d, ok := a.Dictionary().(*array.String); ok && !a.IsNull(row) {
			return strings.Clone(d.Value(a.GetValueIndex(row)))
		}
	}
	return ""
}

func (r *rowReader) int(name string, row int) int {
	switch a := r.col(name).(type) {
	case *array.Int32:
		if !a.IsNull(row) {
			return int(a.Value(row))
		}
	case *array.Int64:
		if !a.IsNull(row) {
			return int(a.Value(row))
		}
	}
	return 0
}

func (r *rowReader) f32(name string, row int) float32 {
	a, ok := r.col(name).(*array.Float32)
	if !ok || a.IsNull(row) {
		return 0
	}
	return a.Value(row)
}

func (r *rowReader) f64(name string, row int) float64 {
	a, ok := r.col(name).(*array.Float64)
	if !ok || a.IsNull(row) {
		return 0
	}
	return a.Value(row)
}

func (r *rowReader) boolean(name string, row int) bool {
	a, ok := r.col(name).(*array.Boolean)
	return ok && !a.IsNull(row) && a.Value(row)
}

func (r *rowReader) time(name string, row int) time.Time {
	a, ok := r.col(name).(*array.Timestamp)
	if !ok || a.IsNull(row) {
		return time.Time{}
	}
	return time.UnixMicro(int64(a.Value(row))).UTC()
}

func (r *rowReader) listRange(name string, row int) (arrow.Array, int, int) {
	a, ok := r.col(name).(*array.List)
	if !ok || a.IsNull(row) {
		return nil, 0, 0
	}
	start, end := a.ValueOffsets(row)
	return a.ListValues(), int(start), int(end)
}

// strs reads a list of strings, its values plain or as a dictionary (cloned, as in str).
func (r *rowReader) strs(name string, row int) []string {
	v, s, e := r.listRange(name, row)
	if s == e {
		return nil
	}
	switch sv := v.(type) {
	case *array.String:
		out := make([]string, 0, e-s)
		for i := s; i < e; i++ {
			out = append(out, sv.Value(i))
		}
		return out
	case *array.Dictionary:
		d, ok := sv.Dictionary().(*array.String)
		if !ok {
			return nil
		}
		out := make([]string, 0, e-s)
		for i := s; i < e; i++ {
			out = append(out, strings.Clone(d.Value(sv.GetValueIndex(i))))
		}
		return out
	}
	return nil
}

func (r *rowReader) ints(name string, row int) []int {
	v, s, e := r.listRange(name, row)
	iv, ok := v.(*array.Int32)
	if !ok || s == e {
		return nil
	}
	out := make([]int, 0, e-s)
	for i := s; i < e; i++ {
		out = append(out, int(iv.Value(i)))
	}
	return out
}

// structs calls fn for each struct in a list<struct> cell with the struct array and index.
func (r *rowReader) structs(name string, row int, fn func(st *array.Struct, i int)) {
	v, s, e := r.listRange(name, row)
	st, ok := v.(*array.Struct)
	if !ok {
		return
	}
	for i := s; i < e; i++ {
		fn(st, i)
	}
}

func fieldStr(st *array.Struct, field, i int) string {
	a, ok := st.Field(field).(*array.String)
	if !ok || a.IsNull(i) {
		return ""
	}
	return a.Value(i)
}

func fieldInt(st *array.Struct, field, i int) int {
	a, ok := st.Field(field).(*array.Int32)
	if !ok || a.IsNull(i) {
		return 0
	}
	return int(a.Value(i))
}
