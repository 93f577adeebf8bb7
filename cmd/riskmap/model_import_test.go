package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/models/onnxpb"
)

// onnxModel writes score = post(x·w + b) over three features as an ONNX file made elsewhere
// would be (no riskmap metadata): post is "Sigmoid", or "" for the raw logit. init edits the
// weight tensor (to point it at external data, say).
func onnxModel(t *testing.T, dir, name string, w []float32, post string, init func(*onnxpb.TensorProto)) string {
	t.Helper()
	tensor := func(n string, dims []int64, v []float32) *onnxpb.TensorProto {
		return &onnxpb.TensorProto{Name: proto.String(n), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: dims, FloatData: v}
	}
	nd := func(op string, in, out []string) *onnxpb.NodeProto {
		return &onnxpb.NodeProto{OpType: proto.String(op), Input: in, Output: out}
	}
	weights := tensor("W", []int64{3, 1}, w)
	if init != nil {
		init(weights)
	}
	g := &onnxpb.GraphProto{
		Name:        proto.String("linear"),
		Initializer: []*onnxpb.TensorProto{weights, tensor("B", []int64{1}, []float32{-0.5})},
		Node:        []*onnxpb.NodeProto{nd("MatMul", []string{models.InputName, "W"}, []string{"xw"})},
		Input:       []*onnxpb.ValueInfoProto{models.InputInfo(3)},
		Output:      []*onnxpb.ValueInfoProto{models.OutputInfo(2)},
	}
	if post == "" {
		g.Node = append(g.Node, nd("Add", []string{"xw", "B"}, []string{models.OutputName}))
	} else {
		g.Node = append(g.Node, nd("Add", []string{"xw", "B"}, []string{"logit"}), nd(post, []string{"logit"}, []string{models.OutputName}))
	}
	mp := &onnxpb.ModelProto{IrVersion: proto.Int64(models.IRVersion), ProducerName: proto.String("test"),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(models.OpsetONNX)}}, Graph: g}
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestModelsImportRefuses: `riskmap models import` refuses a model with external data (naming
// the tensor) and one whose probe scores are NaN or out of [0, 1], and registers nothing;
// a sound model is imported.
func TestModelsImportRefuses(t *testing.T) {
	if err := models.InitRuntime(); err != nil {
		t.Fatalf("%v: run make setup", err)
	}
	ws, dir := t.TempDir(), t.TempDir()
	ok := []float32{0.5, -1, 2}
	cases := []struct {
		name, file string
		want       string
	}{
		{"external data", onnxModel(t, dir, "external.onnx", ok, "Sigmoid", func(w *onnxpb.TensorProto) {
			w.FloatData = nil
			w.DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
			w.ExternalData = []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("../../../etc/passwd")}}
		}), `tensor \"W\" (graph \"linear\" initializer)`},
		{"NaN scores", onnxModel(t, dir, "nan.onnx", []float32{0.5, float32(math.NaN()), 2}, "Sigmoid", nil), "score is NaN"},
		{"scores out of range", onnxModel(t, dir, "logit.onnx", ok, "", nil), "outside [0, 1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, ws, "models", "import", tc.file, "--kind", "risk", "--features", "a,b,c")
			if code == exitOK || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, tc.file) {
				t.Errorf("exit %d, stderr %q: want a refusal naming %s and saying %q\n%s", code, errOut, tc.file, tc.want, out)
			}
		})
	}
	if code, out, _ := run(t, ws, "models", "list", "--json"); code != exitOK || strings.Contains(out, `"name"`) {
		t.Errorf("refused models were registered: %s", out)
	}
	good := onnxModel(t, dir, "good.onnx", ok, "Sigmoid", nil)
	if code, out, errOut := run(t, ws, "models", "import", good, "--kind", "risk", "--features", "a,b,c"); code != exitOK {
		t.Errorf("a sound model: exit %d: %s%s", code, out, errOut)
	}
}
