package models_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/models/onnxpb"
)

// sklearnLikeProto is shaped like skl2onnx's export of a binary LogisticRegression with
// zipmap=False: input "float_input" [?, 3], LinearClassifier (both classes, LOGISTIC) then an L1
// Normalizer, outputs "label" int64 [?] and "probabilities" float32 [?, 2]; no riskmap metadata.
// Its positive-class probability is sigmoid(x·w + b) with the logistic test model's w and b.
func sklearnLikeProto() *onnxpb.ModelProto {
	unknown := &onnxpb.TensorShapeProto_Dimension{}
	info := func(name string, elem onnxpb.TensorProto_DataType, dims ...*onnxpb.TensorShapeProto_Dimension) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
			TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(elem)), Shape: &onnxpb.TensorShapeProto{Dim: dims}}}}}
	}
	val := func(v int64) *onnxpb.TensorShapeProto_Dimension {
		return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: v}}
	}
	w, b := logisticWeights, logisticBias
	coef := []float32{-w[0], -w[1], -w[2], w[0], w[1], w[2]}
	g := &onnxpb.GraphProto{
		Name: proto.String("ONNX(LogisticRegression)"),
		Node: []*onnxpb.NodeProto{
			node("LinearClassifier", models.DomainML, []string{"float_input"}, []string{"label", "probability_tensor"},
				attrInts("classlabels_ints", 0, 1),
				attrFloats("coefficients", coef...),
				attrFloats("intercepts", -b, b),
				attrInt("multi_class", 0),
				attrString("post_transform", "LOGISTIC")),
			node("Normalizer", models.DomainML, []string{"probability_tensor"}, []string{"probabilities"}, attrString("norm", "L1")),
		},
		Input:  []*onnxpb.ValueInfoProto{info("float_input", onnxpb.TensorProto_FLOAT, unknown, val(3))},
		Output: []*onnxpb.ValueInfoProto{info("label", onnxpb.TensorProto_INT64, unknown), info("probabilities", onnxpb.TensorProto_FLOAT, unknown, val(2))},
	}
	return &onnxpb.ModelProto{
		IrVersion:       proto.Int64(8),
		ProducerName:    proto.String("skl2onnx"),
		ProducerVersion: proto.String("1.16.0"),
		OpsetImport: []*onnxpb.OperatorSetIdProto{
			{Domain: proto.String("ai.onnx.ml"), Version: proto.Int64(3)},
			{Domain: proto.String(""), Version: proto.Int64(17)},
		},
		Graph: g,
	}
}

func TestStampSklearn(t *testing.T) {
	out, notes, err := models.Stamp(mustMarshal(t, sklearnLikeProto()), models.KindRisk, testFeatures, testFeatureVersion)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(notes, "\n")
	for _, want := range []string{`input "float_input" renamed to "features"`, `output "label"`, "dropped", `"probabilities"`, "Slice", "metadata set"} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes do not say %q:\n%s", want, joined)
		}
	}
	m := mustParse(t, out)
	if !m.Imported() || m.Kind != models.KindRisk {
		t.Fatalf("imported %v, kind %q", m.Imported(), m.Kind)
	}
	if n := m.Proto.GetGraph().GetNode()[0]; n.GetInput()[0] != models.InputName {
		t.Fatalf("the classifier still reads %q", n.GetInput()[0])
	}
	onnxCheck(t, out)
	golden(t, "sklearn_like_stamped.onnx", out)

	// Stamping twice changes nothing more than the metadata it sets again.
	again, notes2, err := models.Stamp(out, models.KindRisk, testFeatures, testFeatureVersion)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes2) != 1 || !strings.HasPrefix(notes2[0], "metadata set") {
		t.Fatalf("second stamp notes: %q", notes2)
	}
	if !slices.Equal(again, out) {
		t.Fatal("second stamp changed the model")
	}
}

// TestStampScores runs the stamped sklearn-like model: its score must be the positive-class
// probability, sigmoid(x·w + b).
func TestStampScores(t *testing.T) {
	out, _, err := models.Stamp(mustMarshal(t, sklearnLikeProto()), models.KindRisk, testFeatures, testFeatureVersion)
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.NewScorer(mustParse(t, out), models.ScorerOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x := []float32{0, 0, 0, 1, 2, 3, -1, 0.5, 0.25}
	got := make([]float32, 3)
	if err := s.Score(x, 3, got); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		want := logistic(x[i*3 : i*3+3])
		if math.Abs(float64(got[i]-want)) > 1e-6 {
			t.Errorf("row %d: score %v, want %v", i, got[i], want)
		}
	}
}

func TestStampRenamesOutput(t *testing.T) {
	mp := logisticProto()
	mp.MetadataProps = nil
	mp.Graph.Input[0].Name = proto.String("input")
	mp.Graph.Node[0].Input[0] = "input"
	mp.Graph.Output[0].Name = proto.String("output")
	mp.Graph.Node[2].Output[0] = "output"
	mp.IrVersion = proto.Int64(7)
	out, notes, err := models.Stamp(mustMarshal(t, mp), models.KindAnomaly, testFeatures, "v2")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(notes, "\n")
	for _, want := range []string{`input "input" renamed`, `output "output" renamed to "score"`, "ir_version 7 raised to 8"} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes do not say %q:\n%s", want, joined)
		}
	}
	m := mustParse(t, out)
	if m.Kind != models.KindAnomaly {
		t.Fatalf("kind %q", m.Kind)
	}
	onnxCheck(t, out)
}

func TestStampRefuses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mp       func() *onnxpb.ModelProto
		features []string
		field    string
	}{
		{"double input", func() *onnxpb.ModelProto {
			mp := sklearnLikeProto()
			mp.Graph.Input[0].Type.GetTensorType().ElemType = proto.Int32(int32(onnxpb.TensorProto_DOUBLE))
			return mp
		}, testFeatures, "input[0].type"},
		{"width differs from features", sklearnLikeProto, []string{"a", "b"}, "input[0].shape[1]"},
		{"opset 15", func() *onnxpb.ModelProto {
			mp := sklearnLikeProto()
			mp.OpsetImport[1].Version = proto.Int64(15)
			return mp
		}, testFeatures, "opset"},
		{"multi-class", func() *onnxpb.ModelProto {
			mp := sklearnLikeProto()
			setDim(mp.Graph.Output[1], 1, 3)
			return mp
		}, testFeatures, "output[0].shape[1]"},
		{"no float output", func() *onnxpb.ModelProto {
			mp := sklearnLikeProto()
			mp.Graph.Output = mp.Graph.Output[:1]
			return mp
		}, testFeatures, "output"},
		{"name taken", func() *onnxpb.ModelProto {
			mp := sklearnLikeProto()
			mp.Graph.Node[0].Output[1] = "features"
			mp.Graph.Node[1].Input[0] = "features"
			return mp
		}, testFeatures, "graph"},
		{"ir version 9", func() *onnxpb.ModelProto {
			mp := sklearnLikeProto()
			mp.IrVersion = proto.Int64(9)
			return mp
		}, testFeatures, "ir_version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := models.Stamp(mustMarshal(t, tc.mp()), models.KindRisk, tc.features, testFeatureVersion)
			var ce *models.ContractError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("got %v, want a contract error on %q", err, tc.field)
			}
		})
	}
	if _, _, err := models.Stamp([]byte("garbage"), models.KindRisk, testFeatures, "v"); !errors.Is(err, models.ErrCorrupt) {
		t.Fatalf("garbage: got %v, want ErrCorrupt", err)
	}
}

func logistic(x []float32) float32 {
	z := float64(logisticBias)
	for j, v := range x {
		z += float64(v) * float64(logisticWeights[j])
	}
	return float32(1 / (1 + math.Exp(-z)))
}
