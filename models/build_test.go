package models_test

// Hand-built models for the tests: a logistic regression (MatMul + Add + Sigmoid) and a two-tree
// TreeEnsembleRegressor, both at IR 8 with opsets ai.onnx 17 and ai.onnx.ml 3.

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/models/onnxpb"
)

var testFeatures = []string{"a", "b", "c"}

const testFeatureVersion = "test-1"

func floatTensor(name string, dims []int64, v []float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: dims, FloatData: v}
}

func node(op, domain string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Domain: proto.String(domain), Input: in, Output: out, Attribute: attrs, Name: proto.String(op + "_" + out[0])}
}

func attrInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func attrInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func attrFloats(name string, v ...float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOATS.Enum(), Floats: v}
}

func attrString(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}
}

func attrStrings(name string, v ...string) *onnxpb.AttributeProto {
	b := make([][]byte, len(v))
	for i, s := range v {
		b[i] = []byte(s)
	}
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRINGS.Enum(), Strings: b}
}

// contractModel wraps g with the contract's IR, opsets and metadata (without Encode's check, so
// that tests can break it afterwards).
func contractModel(g *onnxpb.GraphProto, kind string, features []string) *onnxpb.ModelProto {
	fj, _ := json.Marshal(features)
	return &onnxpb.ModelProto{
		IrVersion:    proto.Int64(models.IRVersion),
		ProducerName: proto.String("riskmap-test"),
		OpsetImport: []*onnxpb.OperatorSetIdProto{
			{Domain: proto.String(""), Version: proto.Int64(models.OpsetONNX)},
			{Domain: proto.String(models.DomainML), Version: proto.Int64(models.OpsetML)},
		},
		Graph: g,
		MetadataProps: []*onnxpb.StringStringEntryProto{
			{Key: proto.String(models.MetaKind), Value: proto.String(kind)},
			{Key: proto.String(models.MetaFeatures), Value: proto.String(string(fj))},
			{Key: proto.String(models.MetaFeatureVersion), Value: proto.String(testFeatureVersion)},
		},
	}
}

// logisticWeights and logisticBias define the logistic test model: score = sigmoid(x·w + b).
var (
	logisticWeights = []float32{0.5, -1.25, 2}
	logisticBias    = float32(-0.75)
)

func logisticGraph() *onnxpb.GraphProto {
	return &onnxpb.GraphProto{
		Name: proto.String("logistic"),
		Initializer: []*onnxpb.TensorProto{
			floatTensor("W", []int64{3, 1}, logisticWeights),
			floatTensor("B", []int64{1}, []float32{logisticBias}),
		},
		Node: []*onnxpb.NodeProto{
			node("MatMul", "", []string{models.InputName, "W"}, []string{"xw"}),
			node("Add", "", []string{"xw", "B"}, []string{"logit"}),
			node("Sigmoid", "", []string{"logit"}, []string{models.OutputName}),
		},
		Input:  []*onnxpb.ValueInfoProto{models.InputInfo(3)},
		Output: []*onnxpb.ValueInfoProto{models.OutputInfo(2)},
	}
}

func logisticProto() *onnxpb.ModelProto {
	return contractModel(logisticGraph(), models.KindRisk, testFeatures)
}

// The tree test model, two trees over features a, b, c, no post transform, base value 0.05:
//
//	tree 0: n0 a <= 0.5 ? n1 (leaf 0.1, cover 30) : n2 (b < 2 ? n3 (leaf 0.5, cover 20) : n4 (leaf -0.2, cover 50))
//	tree 1: n0 c <= 1 (NaN goes true) ? n1 (leaf 0.3) : n2 (leaf -0.15); no covers: equal weights
//
// Node values: tree 0 n2 = (20*0.5 + 50*-0.2)/70 = 0, n0 = (30*0.1 + 70*0)/100 = 0.03;
// tree 1 n0 = (0.3 - 0.15)/2 = 0.075. Root expectation = 0.05 + 0.03 + 0.075 = 0.155.
const treeRootValue = 0.155

func treeGraph() *onnxpb.GraphProto {
	reg := node("TreeEnsembleRegressor", models.DomainML, []string{models.InputName}, []string{models.OutputName},
		attrInts("nodes_treeids", 0, 0, 0, 0, 0, 1, 1, 1),
		attrInts("nodes_nodeids", 0, 1, 2, 3, 4, 0, 1, 2),
		attrInts("nodes_featureids", 0, 0, 1, 0, 0, 2, 0, 0),
		attrStrings("nodes_modes", "BRANCH_LEQ", "LEAF", "BRANCH_LT", "LEAF", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF"),
		attrFloats("nodes_values", 0.5, 0, 2, 0, 0, 1, 0, 0),
		attrInts("nodes_truenodeids", 1, 0, 3, 0, 0, 1, 0, 0),
		attrInts("nodes_falsenodeids", 2, 0, 4, 0, 0, 2, 0, 0),
		attrInts("nodes_missing_value_tracks_true", 0, 0, 0, 0, 0, 1, 0, 0),
		attrFloats("nodes_hitrates", 100, 30, 70, 20, 50, 0, 0, 0),
		attrInts("target_treeids", 0, 0, 0, 1, 1),
		attrInts("target_nodeids", 1, 3, 4, 1, 2),
		attrInts("target_ids", 0, 0, 0, 0, 0),
		attrFloats("target_weights", 0.1, 0.5, -0.2, 0.3, -0.15),
		attrFloats("base_values", 0.05),
		attrInt("n_targets", 1),
		attrString("aggregate_function", "SUM"),
		attrString("post_transform", "NONE"),
	)
	return &onnxpb.GraphProto{
		Name:   proto.String("trees"),
		Node:   []*onnxpb.NodeProto{reg},
		Input:  []*onnxpb.ValueInfoProto{models.InputInfo(3)},
		Output: []*onnxpb.ValueInfoProto{models.OutputInfo(2)},
	}
}

func treeProto() *onnxpb.ModelProto {
	return contractModel(treeGraph(), models.KindRisk, testFeatures)
}

func mustMarshal(t testing.TB, mp *onnxpb.ModelProto) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

func mustParse(t testing.TB, b []byte) *models.Model {
	t.Helper()
	m, err := models.Parse(b)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return m
}

var (
	pyOnnxOnce sync.Once
	pyOnnxOK   bool
)

// onnxCheck runs the onnx checker (full_check, with shape inference) on b when Debian's
// python3-onnx is installed; without it there is nothing independent to check against.
func onnxCheck(t *testing.T, b []byte) {
	t.Helper()
	pyOnnxOnce.Do(func() {
		pyOnnxOK = exec.Command("/usr/bin/python3", "-c", "import onnx").Run() == nil
	})
	if !pyOnnxOK {
		t.Log("onnx checker not run: /usr/bin/python3 cannot import onnx (make setup installs python3-onnx)")
		return
	}
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", "-c",
		"import sys, onnx; onnx.checker.check_model(sys.argv[1], full_check=True)", path).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx checker refuses the model: %v\n%s", err, strings.TrimSpace(string(out)))
	}
}

// golden compares b with testdata/name, rewriting the file first under -update. The models are
// kept there so that they can be opened in Netron or onnxruntime by hand, and seed the fuzzer.
func golden(t *testing.T, name string, b []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./models -update)", err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("%s differs from what the test built (run with -update if the change is meant)", path)
	}
}
