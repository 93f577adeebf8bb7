package training

import (
	"context"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

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
	_, err := features.Build(ctx, s, features.BuildOptions{AsOf: asOf}, func(rec arrow.RecordBatch) error {
		ids, _, err := features.RowMajor(rec, names, &x)
		if err != nil {
			return err
		}
		m.Assets = append(m.Assets, ids...)
		m.X = append(m.X, x...)
		return nil
	})
	return m, err
}

// Points are the as_of times history offers for training: the start of every recorded
// cycle, or, for a workspace fed by imported scans only, the start of each distinct scan
// day. Labels of a point come from the scans up to the next point.
func Points(ctx context.Context, s *datasets.Store) ([]time.Time, error) {
	cycles, err := datasets.ReadCycles(ctx, s)
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
