package training

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Dataset is a dense row-major float32 matrix with labels and, for time splits, a time per row.
// Row i is X[i*Cols : (i+1)*Cols]; NaN marks a missing value. Y holds 0 or 1 per row (it may be
// nil for the anomaly model, which needs no labels). Features names the columns in order and
// FeatureVersion the feature spec they come from; both travel into the exported models.
// Time is optional: TimeSplit and the time-ordered validation split need it.
type Dataset struct {
	X              []float32
	Rows, Cols     int
	Features       []string
	FeatureVersion string
	Y              []float32
	Time           []time.Time
}

// ErrDataset is wrapped by every error about a Dataset's shape or content.
var ErrDataset = errors.New("invalid dataset")

// Validate checks the shapes: len(X) == Rows*Cols, len(Y) and len(Time) either 0 or Rows,
// len(Features) either 0 or Cols. It does not look at the values.
func (d Dataset) Validate() error {
	switch {
	case d.Rows < 0 || d.Cols < 0:
		return fmt.Errorf("%w: rows %d, cols %d: want both >= 0", ErrDataset, d.Rows, d.Cols)
	case len(d.X) != d.Rows*d.Cols:
		return fmt.Errorf("%w: len(X) = %d: want rows*cols = %d*%d = %d", ErrDataset, len(d.X), d.Rows, d.Cols, d.Rows*d.Cols)
	case len(d.Y) != 0 && len(d.Y) != d.Rows:
		return fmt.Errorf("%w: len(Y) = %d: want 0 or rows = %d", ErrDataset, len(d.Y), d.Rows)
	case len(d.Time) != 0 && len(d.Time) != d.Rows:
		return fmt.Errorf("%w: len(Time) = %d: want 0 or rows = %d", ErrDataset, len(d.Time), d.Rows)
	case len(d.Features) != 0 && len(d.Features) != d.Cols:
		return fmt.Errorf("%w: %d feature names for %d columns", ErrDataset, len(d.Features), d.Cols)
	}
	return nil
}

// labelCount checks that there is one label per row, each 0 or 1, and counts the ones.
func (d Dataset) labelCount() (positives int, err error) {
	if len(d.Y) != d.Rows {
		return 0, fmt.Errorf("%w: %d labels for %d rows: want one per row", ErrDataset, len(d.Y), d.Rows)
	}
	for i, y := range d.Y {
		switch y {
		case 1:
			positives++
		case 0:
		default:
			return 0, fmt.Errorf("%w: Y[%d] = %v: want 0 or 1", ErrDataset, i, y)
		}
	}
	return positives, nil
}

// checkLabels is labelCount that also refuses a single class: no learner can rank with one
// class, and the log-odds prior would be infinite.
func (d Dataset) checkLabels() (positives int, err error) {
	positives, err = d.labelCount()
	if err != nil {
		return 0, err
	}
	if positives == 0 || positives == d.Rows {
		return positives, fmt.Errorf("%w: %d positives in %d rows: want both classes", ErrDataset, positives, d.Rows)
	}
	return positives, nil
}

// checkNoInf refuses an infinite value; what NaN (missing) means is the caller's to decide.
func (d Dataset) checkNoInf() error {
	for i, v := range d.X {
		if math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: row %d column %d (%s) is %v: want a finite value or NaN",
				ErrDataset, i/d.Cols, i%d.Cols, d.featureName(i%d.Cols), v)
		}
	}
	return nil
}

func (d Dataset) featureName(col int) string {
	if col < len(d.Features) {
		return d.Features[col]
	}
	return fmt.Sprintf("#%d", col)
}

// Subset returns the rows at idx, in that order, as a new Dataset that shares nothing with d.
// It panics if d fails Validate or an index is out of range.
func (d Dataset) Subset(idx []int) Dataset {
	if err := d.Validate(); err != nil {
		panic("training: Subset: " + err.Error())
	}
	out := Dataset{
		X:              make([]float32, 0, len(idx)*d.Cols),
		Rows:           len(idx),
		Cols:           d.Cols,
		Features:       append([]string(nil), d.Features...),
		FeatureVersion: d.FeatureVersion,
	}
	if d.Y != nil {
		out.Y = make([]float32, 0, len(idx))
	}
	if d.Time != nil {
		out.Time = make([]time.Time, 0, len(idx))
	}
	for _, i := range idx {
		out.X = append(out.X, d.X[i*d.Cols:(i+1)*d.Cols]...)
		if d.Y != nil {
			out.Y = append(out.Y, d.Y[i])
		}
		if d.Time != nil {
			out.Time = append(out.Time, d.Time[i])
		}
	}
	return out
}

// TimeSplit splits d by Time: rows with Time before cut train, the rest test; never at random.
// Both keep d's row order. It panics if d fails Validate or has no Time column: a time split
// without times is a programming error, not a data error.
func TimeSplit(d Dataset, cut time.Time) (train, test Dataset) {
	if err := d.Validate(); err != nil {
		panic("training: TimeSplit: " + err.Error())
	}
	if len(d.Time) != d.Rows {
		panic(fmt.Sprintf("training: TimeSplit: dataset has %d times for %d rows", len(d.Time), d.Rows))
	}
	var before, after []int
	for i, t := range d.Time {
		if t.Before(cut) {
			before = append(before, i)
		} else {
			after = append(after, i)
		}
	}
	return d.Subset(before), d.Subset(after)
}

// latestShare returns d split into its earlier rows and its latest share of rows: by Time when
// d has times (ties keep row order), else by row order, as a data set built from history is.
func latestShare(d Dataset, share float64) (early, late Dataset) {
	idx := make([]int, d.Rows)
	for i := range idx {
		idx[i] = i
	}
	if len(d.Time) == d.Rows {
		sort.SliceStable(idx, func(a, b int) bool { return d.Time[idx[a]].Before(d.Time[idx[b]]) })
	}
	nLate := int(math.Round(share * float64(d.Rows)))
	cut := d.Rows - nLate
	return d.Subset(idx[:cut]), d.Subset(idx[cut:])
}
