package models_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/models/onnxpb"
)

func external(t *onnxpb.TensorProto, location string) *onnxpb.TensorProto {
	t.FloatData = nil
	t.DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
	t.ExternalData = []*onnxpb.StringStringEntryProto{
		{Key: proto.String("location"), Value: proto.String(location)},
		{Key: proto.String("offset"), Value: proto.String("0")},
		{Key: proto.String("length"), Value: proto.String("12")},
	}
	return t
}

// TestExternalDataRefused: a model whose tensors point at other files is refused wherever
// the tensor is, naming it; through Parse (loading) and Stamp (import) alike.
func TestExternalDataRefused(t *testing.T) {
	cases := []struct {
		name  string
		model func() *onnxpb.ModelProto
		want  []string
	}{
		{"initializer with a path outside", func() *onnxpb.ModelProto {
			mp := logisticProto()
			external(mp.Graph.Initializer[0], "../../../etc/passwd")
			return mp
		}, []string{`tensor "W"`, `location="../../../etc/passwd"`, "initializer"}},
		{"location only in external_data", func() *onnxpb.ModelProto {
			mp := logisticProto()
			w := mp.Graph.Initializer[1]
			w.ExternalData = []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("bias.bin")}}
			return mp
		}, []string{`tensor "B"`, `location="bias.bin"`}},
		{"constant node attribute", func() *onnxpb.ModelProto {
			mp := logisticProto()
			g := mp.Graph
			b := g.Initializer[1]
			g.Initializer = g.Initializer[:1]
			c := node("Constant", "", nil, []string{"B"})
			c.Name = proto.String("bias")
			c.Attribute = []*onnxpb.AttributeProto{{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: external(b, "/tmp/b.bin")}}
			g.Node = append([]*onnxpb.NodeProto{c}, g.Node...)
			return mp
		}, []string{`tensor "B"`, `Constant "bias" attribute value`, `location="/tmp/b.bin"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := mustMarshal(t, tc.model())
			_, err := models.Parse(b)
			if !errors.Is(err, models.ErrContract) {
				t.Fatalf("Parse: error %v, want a contract error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	// Import: an sklearn-like export with an external initializer is refused by Stamp.
	mp := sklearnLikeProto()
	mp.Graph.Initializer = append(mp.Graph.Initializer, external(floatTensor("unused", []int64{3}, []float32{1, 2, 3}), "../../weights.bin"))
	if _, _, err := models.Stamp(mustMarshal(t, mp), models.KindRisk, testFeatures, testFeatureVersion); err == nil || !strings.Contains(err.Error(), `tensor "unused"`) {
		t.Errorf("Stamp: error %v, want one naming tensor \"unused\"", err)
	}
	// A self-contained model still parses.
	mustParse(t, mustMarshal(t, logisticProto()))
}

// linearProto is logistic without its sigmoid: scores are unbounded logits.
func linearProto(w []float32, b float32) *onnxpb.ModelProto {
	g := logisticGraph()
	g.Initializer = []*onnxpb.TensorProto{floatTensor("W", []int64{3, 1}, w), floatTensor("B", []int64{1}, []float32{b})}
	g.Node[1].Output = []string{models.OutputName}
	g.Node = g.Node[:2]
	return contractModel(g, models.KindRisk, testFeatures)
}

// expProto scores exp(x·100 - 100): 0 for row 0, overflowing float32 from row 1 on.
func expProto() *onnxpb.ModelProto {
	mp := linearProto([]float32{100, 100, 100}, -100)
	g := mp.Graph
	g.Node[1].Output = []string{"logit"}
	g.Node = append(g.Node, node("Exp", "", []string{"logit"}, []string{models.OutputName}))
	return mp
}

// TestProbe: a model is run on a probe batch; NaN, infinite or out-of-range scores are
// refused, naming the problem and the row.
func TestProbe(t *testing.T) {
	nanWeights := logisticProto()
	nanWeights.Graph.Initializer[0].FloatData = []float32{0.5, float32(math.NaN()), 2}
	cases := []struct {
		name string
		mp   *onnxpb.ModelProto
		want string // "" for a model that passes
	}{
		{"logistic passes", logisticProto(), ""},
		{"tree ensemble whose leaves leave [0, 1]", treeProto(), "score -0.3 is outside [0, 1] for probe row 4 (all features 10)"},
		{"NaN weight", nanWeights, "score is NaN for probe row 0 (all features 0)"},
		{"logits out of range", linearProto([]float32{0.5, -1.25, 2}, -0.75), "score -0.75 is outside [0, 1] for probe row 0 (all features 0)"},
		{"overflow to Inf", expProto(), "score is +Inf for probe row 1 (all features 1)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, mustMarshal(t, tc.mp))
			err := models.Probe(m)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Probe: %v", err)
				}
				return
			}
			if !errors.Is(err, models.ErrProbe) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Probe: error %v, want ErrProbe saying %q", err, tc.want)
			}
		})
	}
}
