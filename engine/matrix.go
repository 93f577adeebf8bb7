package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

// Matrix is the feature rows of every asset at one as_of time, row-major, in the feature
// spec's order.
type Matrix struct {
	AsOf   time.Time
	Assets []string
	X      []float32
	Cols   int
}

// Row returns asset i's features.
func (m *Matrix) Row(i int) []float32 { return m.X[i*m.Cols : (i+1)*m.Cols] }

// FeatureMatrix builds the features as of asOf (features.Build) into a dense matrix.
func FeatureMatrix(ctx context.Context, s *datasets.Store, asOf time.Time) (*Matrix, error) {
	names := features.Names()
	m := &Matrix{AsOf: asOf, Cols: len(names)}
	var x []float32
	_, err := features.Build(ctx, s, features.BuildOptions{AsOf: asOf}, func(rec arrowRecord) error {
		ids, _, err := rowMajor(rec, names, &x)
		if err != nil {
			return err
		}
		m.Assets = append(m.Assets, ids...)
		m.X = append(m.X, x...)
		return nil
	})
	return m, err
}

// rowMajor copies a features batch into *x (reused, row-major) and returns its asset ids and
// row count, checking that its columns are the feature spec's in order.
func rowMajor(rec arrowRecord, names []string, x *[]float32) ([]string, int, error) {
	sc := rec.Schema()
	ids, ok := rec.Column(0).(*array.String)
	if !ok || sc.Field(0).Name != "asset_id" || int(rec.NumCols()) != 3+len(names) {
		return nil, 0, fmt.Errorf("features: unexpected batch schema %s", sc)
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
	for f := range names {
		col, ok := rec.Column(3 + f).(*array.Float32)
		if !ok || sc.Field(3+f).Name != names[f] {
			return nil, 0, fmt.Errorf("features: column %d is %s, want float32 %s", 3+f, sc.Field(3+f).Name, names[f])
		}
		vals := col.Float32Values()
		for i := 0; i < n; i++ {
			(*x)[i*cols+f] = vals[i]
		}
	}
	return out, n, nil
}

// Points are the as_of times history offers for training: the start of every recorded
// cycle, or, for a workspace fed by imported scans only, the start of each distinct scan
// day. Labels of a point come from the scans up to the next point.
func Points(ctx context.Context, s *datasets.Store) ([]time.Time, error) {
	cycles, err := ReadCycles(ctx, s)
	if err != nil {
		return nil, err
	}
	var pts []time.Time
	for _, c := range cycles {
		pts = append(pts, c.Started)
	}
	if len(pts) == 0 {
		scans, err := datasets.ReadAll(ctx, s, datasets.TableScans, nil, datasets.DecodeScans)
		if err != nil {
			return nil, err
		}
		days := map[time.Time]bool{}
		for _, sc := range scans {
			if !sc.Started.IsZero() {
				days[sc.Started.UTC().Truncate(24*time.Hour)] = true
			}
		}
		for d := range days {
			pts = append(pts, d)
		}
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].Before(pts[j]) })
	return pts, nil
}
