package engine

import (
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// arrowRecord is the record batch type the store's Scan hands over.
type arrowRecord = arrow.RecordBatch

type arrowArray = arrow.Array

func strAt(a arrow.Array, i int) string {
	if s, ok := a.(*array.String); ok && !s.IsNull(i) {
		return s.Value(i)
	}
	return ""
}

func int64At(a arrow.Array, i int) int64 {
	switch v := a.(type) {
	case *array.Int64:
		if !v.IsNull(i) {
			return v.Value(i)
		}
	case *array.Int32:
		if !v.IsNull(i) {
			return int64(v.Value(i))
		}
	}
	return 0
}

func floatAt(a arrow.Array, i int) float64 {
	switch v := a.(type) {
	case *array.Float64:
		if !v.IsNull(i) {
			return v.Value(i)
		}
	case *array.Float32:
		if !v.IsNull(i) {
			return float64(v.Value(i))
		}
	}
	return 0
}

func timeAt(a arrow.Array, i int) time.Time {
	if t, ok := a.(*array.Timestamp); ok && !t.IsNull(i) {
		return time.UnixMicro(int64(t.Value(i))).UTC()
	}
	return time.Time{}
}

func sortCycles(c []CycleMetrics) {
	sort.Slice(c, func(i, j int) bool { return c[i].Started.Before(c[j].Started) })
}
