package training_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/training"
)

func TestTimeSplit(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// Rows deliberately out of time order: the split follows Time, and keeps row order.
	hours := []int{5, 1, 9, 3, 7, 2}
	d := training.Dataset{Rows: 6, Cols: 2, Features: []string{"a", "b"}, FeatureVersion: "1",
		X: make([]float32, 12), Y: []float32{1, 0, 1, 0, 1, 0}}
	for i, h := range hours {
		d.X[i*2], d.X[i*2+1] = float32(h), float32(-h)
		d.Time = append(d.Time, t0.Add(time.Duration(h)*time.Hour))
	}
	train, test := training.TimeSplit(d, t0.Add(5*time.Hour))
	if got := train.X; !slices.Equal(got, []float32{1, -1, 3, -3, 2, -2}) {
		t.Errorf("train X = %v: want the rows before hour 5, in row order", got)
	}
	if got := test.X; !slices.Equal(got, []float32{5, -5, 9, -9, 7, -7}) {
		t.Errorf("test X = %v: want the rows at or after hour 5, in row order", got)
	}
	if !slices.Equal(train.Y, []float32{0, 0, 0}) || !slices.Equal(test.Y, []float32{1, 1, 1}) {
		t.Errorf("labels: train %v, test %v", train.Y, test.Y)
	}
	for _, part := range []training.Dataset{train, test} {
		if err := part.Validate(); err != nil {
			t.Error(err)
		}
		if part.FeatureVersion != "1" || !slices.Equal(part.Features, d.Features) {
			t.Errorf("split lost the feature names or version: %v %q", part.Features, part.FeatureVersion)
		}
	}
	// The parts do not share memory with d.
	train.X[0] = 100
	if d.X[2] == 100 {
		t.Error("train shares X with the dataset")
	}
}

func TestTimeSplitWithoutTimesPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "times") {
			t.Errorf("recover() = %v: want a panic about the missing times", r)
		}
	}()
	training.TimeSplit(xorData(1, 10), time.Now())
}

func TestDatasetValidate(t *testing.T) {
	ok := xorData(1, 10)
	for _, tc := range []struct {
		name string
		edit func(*training.Dataset)
		msg  string
	}{
		{"short X", func(d *training.Dataset) { d.X = d.X[:5] }, "len(X) = 5"},
		{"short Y", func(d *training.Dataset) { d.Y = d.Y[:3] }, "len(Y) = 3"},
		{"short Time", func(d *training.Dataset) { d.Time = make([]time.Time, 2) }, "len(Time) = 2"},
		{"feature names", func(d *training.Dataset) { d.Features = d.Features[:1] }, "1 feature names for 4 columns"},
		{"negative rows", func(d *training.Dataset) { d.Rows = -1 }, "rows -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ok
			tc.edit(&d)
			err := d.Validate()
			if !errors.Is(err, training.ErrDataset) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Validate() = %v: want ErrDataset mentioning %q", err, tc.msg)
			}
		})
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("a good dataset: %v", err)
	}
}

func TestSubset(t *testing.T) {
	d := xorData(1, 5)
	s := d.Subset([]int{4, 0})
	if s.Rows != 2 || !slices.Equal(s.X[:4], d.X[16:20]) || !slices.Equal(s.X[4:], d.X[:4]) || s.Y[0] != d.Y[4] {
		t.Errorf("Subset(4, 0) = %+v", s)
	}
}
