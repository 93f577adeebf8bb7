package features

import (
	"bytes"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// joinedByID reports whether the footer proves that every row of the file has an
// asset_id: then rows never join by address, and the ip column is not read at all (columns
// then hands over nil for it, which newStrCol reads as empty).
func joinedByID(pf *file.Reader) bool {
	lo, _, ok := strRange(pf.MetaData(), "asset_id")
	return ok && lo != ""
}

// strCol reads a string column whether the reader handed it over plain or as a dictionary.
// The zero value is a column whose every value is "".
type strCol struct {
	plain *array.String
	ind   []int32 // dictionary indices, when dictionary-encoded
	dict  *array.String
	valid []byte // validity bitmap; nil when no value is null
	voff  int    // the array's offset into valid
}

func newStrCol(a arrow.Array) (strCol, error) {
	var c strCol
	switch a := a.(type) {
	case nil:
		return strCol{}, nil // a column the reader left out: every value reads ""
	case *array.String:
		c.plain = a
	case *array.Dictionary:
		if dd, ok := a.Data().Dictionary().(*array.Data); !ok || dd == nil {
			// pqarrow hands a column with no values (all null, or the values of empty
			// lists) over without a dictionary
			if a.Len() > a.NullN() {
				return strCol{}, fmt.Errorf("dictionary column with %d values and no dictionary", a.Len()-a.NullN())
			}
			return strCol{}, nil
		}
		d, ok := a.Dictionary().(*array.String)
		if !ok {
			return strCol{}, fmt.Errorf("dictionary of %s, want string", a.Dictionary().DataType())
		}
		ind, ok := a.Indices().(*array.Int32)
		if !ok {
			return strCol{}, fmt.Errorf("dictionary indices of %s, want int32", a.Indices().DataType())
		}
		c.ind, c.dict = ind.Int32Values(), d
	default:
		return strCol{}, fmt.Errorf("column of %s, want string", a.DataType())
	}
	// checked here once, not through the arrow.Array interface on every row
	if a.NullN() > 0 {
		c.valid, c.voff = a.NullBitmapBytes(), a.Data().Offset()
	}
	return c, nil
}

func (c *strCol) null(i int) bool {
	if c.valid == nil {
		return false
	}
	j := c.voff + i
	return c.valid[j>>3]&(1<<(j&7)) == 0
}

// value is row i's string, "" for null. The string aliases Arrow memory: clone it to keep it
// past the batch.
func (c *strCol) value(i int) string {
	switch {
	case c.plain != nil:
		if c.null(i) {
			return ""
		}
		return c.plain.Value(i)
	case c.dict != nil:
		if c.null(i) {
			return ""
		}
		return c.dict.Value(int(c.ind[i]))
	}
	return ""
}

// key is a small integer that is equal for equal values within one batch: the dictionary
// index, or -1 for plain columns (whose callers then compare values).
func (c *strCol) key(i int) int32 {
	if c.dict == nil || c.null(i) {
		return -1
	}
	return c.ind[i]
}

// dictLen is the dictionary size, 0 for plain columns.
func (c *strCol) dictLen() int {
	if c.dict == nil {
		return 0
	}
	return c.dict.Len()
}

// memo caches a mapping from dictionary index to an int32 result, so that a value is
// looked up once however many rows repeat it. The cache lives as long as the dictionary:
// pqarrow hands every batch of a row group a fresh copy of the same dictionary, which reset
// recognises. For a plain column it remembers the last value only, which still catches
// runs (a host's ports share its ids).
type memo struct {
	val     []int32
	gen     []uint32
	cur     uint32
	last    string // aliases the batch; valid while hasLast
	lastVal int32
	hasLast bool

	// the dictionary the cache is for, copied: the batch's own buffers are gone by the
	// time the next batch arrives
	dictOff  []int32
	dictData []byte
	hasDict  bool
}

// reset prepares the memo for a new batch of column c.
func (m *memo) reset(c *strCol) {
	m.hasLast, m.last = false, ""
	if c.dict != nil && m.hasDict && m.sameDict(c.dict) {
		return
	}
	n := c.dictLen()
	if n > len(m.val) {
		m.val = make([]int32, n)
		m.gen = make([]uint32, n)
		m.cur = 0
	}
	m.cur++
	if m.cur == 0 { // wrapped: clear the stamps
		clear(m.gen)
		m.cur = 1
	}
	m.hasDict = c.dict != nil
	if m.hasDict {
		off := c.dict.ValueOffsets()
		m.dictOff = m.dictOff[:0]
		for _, o := range off {
			m.dictOff = append(m.dictOff, o-off[0])
		}
		m.dictData = append(m.dictData[:0], c.dict.ValueBytes()...)
	}
}

// forget drops the cache, for a memo about to serve another column or function.
func (m *memo) forget() { m.hasDict = false }

func (m *memo) sameDict(d *array.String) bool {
	off := d.ValueOffsets()
	if len(off) != len(m.dictOff) || !bytes.Equal(d.ValueBytes(), m.dictData) {
		return false
	}
	for i, o := range off {
		if o-off[0] != m.dictOff[i] {
			return false
		}
	}
	return true
}

// get returns the cached result for row i of c, computing it with f on a miss.
func (m *memo) get(c *strCol, i int, f func(string) int32) int32 {
	k := c.key(i)
	if k < 0 {
		v := c.value(i)
		if m.hasLast && v == m.last {
			return m.lastVal
		}
		r := f(v)
		m.last, m.lastVal, m.hasLast = v, r, true
		return r
	}
	if m.gen[k] == m.cur {
		return m.val[k]
	}
	v := f(c.dict.Value(int(k)))
	m.val[k], m.gen[k] = v, m.cur
	return v
}

// columns finds named columns in a record.
func columns(rec arrow.RecordBatch, names ...string) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(names))
	sc := rec.Schema()
	for i, n := range names {
		idx := sc.FieldIndices(n)
		if len(idx) == 0 && n == "ip" {
			continue // left out by joinedByID
		}
		if len(idx) == 0 {
			return nil, fmt.Errorf("column %q missing", n)
		}
		out[i] = rec.Column(idx[0])
	}
	return out, nil
}

// timeCol reads a timestamp column as microseconds; null reads as 0 and ok false.
type timeCol struct{ a *array.Timestamp }

func newTimeCol(a arrow.Array) (timeCol, error) {
	t, ok := a.(*array.Timestamp)
	if !ok {
		return timeCol{}, fmt.Errorf("column of %s, want timestamp", a.DataType())
	}
	return timeCol{t}, nil
}

func (c timeCol) at(i int) (int64, bool) {
	if c.a.IsNull(i) {
		return 0, false
	}
	return int64(c.a.Value(i)), true
}

func int32Col(a arrow.Array) ([]int32, error) {
	t, ok := a.(*array.Int32)
	if !ok {
		return nil, fmt.Errorf("column of %s, want int32", a.DataType())
	}
	return t.Int32Values(), nil
}

// listCol reads a list column: the value range of each row.
type listCol struct{ l *array.List }

// newListCol returns the list column and its values array.
func newListCol(a arrow.Array) (listCol, arrow.Array, error) {
	l, ok := a.(*array.List)
	if !ok {
		return listCol{}, nil, fmt.Errorf("column of %s, want list", a.DataType())
	}
	return listCol{l}, l.ListValues(), nil
}

// span is row i's value range; a null list is empty.
func (c listCol) span(i int) (int, int) {
	if c.l.IsNull(i) {
		return 0, 0
	}
	s, e := c.l.ValueOffsets(i)
	return int(s), int(e)
}

// strListCol is a list<string> column.
type strListCol struct {
	listCol
	v strCol
}

func newStrListCol(a arrow.Array) (strListCol, error) {
	l, vals, err := newListCol(a)
	if err != nil {
		return strListCol{}, err
	}
	v, err := newStrCol(vals)
	if err != nil {
		return strListCol{}, err
	}
	return strListCol{l, v}, nil
}

// structField returns field k of a struct array.
func structField(a arrow.Array, k int) (arrow.Array, error) {
	st, ok := a.(*array.Struct)
	if !ok {
		return nil, fmt.Errorf("column of %s, want struct", a.DataType())
	}
	if k >= st.NumField() {
		return nil, fmt.Errorf("struct of %s has no field %d", a.DataType(), k)
	}
	return st.Field(k), nil
}
