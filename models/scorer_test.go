package models_test

import (
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/models/onnxpb"
)

func newScorer(t *testing.T, mp *onnxpb.ModelProto, opts models.ScorerOptions) (*models.Scorer, []byte) {
	t.Helper()
	b := mustMarshal(t, mp)
	s, err := models.NewScorer(mustParse(t, b), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, b
}

// rankOneLogistic is the logistic model with its score reshaped to [N].
func rankOneLogistic() *onnxpb.ModelProto {
	mp := logisticProto()
	g := mp.Graph
	g.Node[2].Output[0] = "prob"
	g.Initializer = append(g.Initializer, &onnxpb.TensorProto{Name: proto.String("flat"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: []int64{1}, Int64Data: []int64{-1}})
	g.Node = append(g.Node, node("Reshape", "", []string{"prob", "flat"}, []string{models.OutputName}))
	g.Output = []*onnxpb.ValueInfoProto{models.OutputInfo(1)}
	return mp
}

func TestScoreLogistic(t *testing.T) {
	x := []float32{0, 0, 0, 1, 2, 3, -1, 0.5, 0.25, 4, -4, 0.125, 0.3, 0.3, 0.3}
	for _, tc := range []struct {
		name string
		mp   func() *onnxpb.ModelProto
		opts models.ScorerOptions
	}{
		{"one batch", logisticProto, models.ScorerOptions{}},
		{"batches of 2", logisticProto, models.ScorerOptions{BatchRows: 2, IntraOpThreads: 1}},
		{"batches of 1", logisticProto, models.ScorerOptions{BatchRows: 1, IntraOpThreads: 1}},
		{"rank 1 output", rankOneLogistic, models.ScorerOptions{BatchRows: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, b := newScorer(t, tc.mp(), tc.opts)
			onnxCheck(t, b)
			// Twice, so that reused tensors are exercised.
			for range 2 {
				got := make([]float32, 5)
				if err := s.Score(x, 5, got); err != nil {
					t.Fatal(err)
				}
				for i := range got {
					if want := logistic(x[i*3 : i*3+3]); math.Abs(float64(got[i]-want)) > 1e-6 {
						t.Errorf("row %d: %v, want %v", i, got[i], want)
					}
				}
			}
		})
	}
}

func TestScoreTrees(t *testing.T) {
	nan := float32(math.NaN())
	for _, tc := range []struct {
		name string
		row  []float32
		want float32 // base 0.05 + tree 0 leaf + tree 1 leaf
	}{
		{"left left", []float32{0.2, 9, 0.5}, 0.05 + 0.1 + 0.3},
		{"threshold is inclusive for LEQ", []float32{0.5, 9, 1}, 0.05 + 0.1 + 0.3},
		{"right, b < 2", []float32{1, 1, 2}, 0.05 + 0.5 - 0.15},
		{"right, b = 2 is not < 2", []float32{1, 2, 2}, 0.05 - 0.2 - 0.15},
		{"NaN c tracks true", []float32{1, 3, nan}, 0.05 - 0.2 + 0.3},
		{"NaN a goes false", []float32{nan, 1, 5}, 0.05 + 0.5 - 0.15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newScorer(t, treeProto(), models.ScorerOptions{IntraOpThreads: 1})
			got := make([]float32, 1)
			if err := s.Score(tc.row, 1, got); err != nil {
				t.Fatal(err)
			}
			if math.Abs(float64(got[0]-tc.want)) > 1e-6 {
				t.Fatalf("score %v, want %v", got[0], tc.want)
			}
		})
	}
}

func TestScoreErrors(t *testing.T) {
	s, _ := newScorer(t, logisticProto(), models.ScorerOptions{})
	for _, tc := range []struct {
		name string
		x    []float32
		rows int
		out  []float32
		want string
	}{
		{"short input", make([]float32, 5), 2, make([]float32, 2), "5 values for 2 rows of 3 features"},
		{"short output", make([]float32, 6), 2, make([]float32, 1), "output holds 1 scores"},
		{"negative rows", nil, -1, nil, "want"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Score(tc.x, tc.rows, tc.out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	if err := s.Score(nil, 0, nil); err != nil {
		t.Fatalf("zero rows: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Score(make([]float32, 3), 1, make([]float32, 1)); err == nil {
		t.Fatal("a closed scorer scored")
	}
	for _, opts := range []models.ScorerOptions{{IntraOpThreads: -1}, {BatchRows: -5}} {
		if _, err := models.NewScorer(mustParse(t, mustMarshal(t, logisticProto())), opts); err == nil {
			t.Fatalf("options %+v accepted", opts)
		}
	}
}

func TestRuntime(t *testing.T) {
	if err := models.InitRuntime(); err != nil {
		t.Fatalf("second InitRuntime: %v", err)
	}
	if v := models.RuntimeVersion(); !strings.HasPrefix(v, "1.") {
		t.Fatalf("runtime version %q", v)
	}
	t.Setenv(models.EnvSharedLibrary, "/nonexistent/libonnxruntime.so.1")
	_, err := models.SharedLibraryPath()
	if err == nil || !strings.Contains(err.Error(), "make setup") {
		t.Fatalf("got %v, want an error that says to run make setup", err)
	}
}
