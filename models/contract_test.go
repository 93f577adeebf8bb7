package models_test

import (
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/models/onnxpb"
)

var update = flag.Bool("update", false, "rewrite the models under testdata/")

// TestGolden keeps the hand-built models under testdata/ in step with their builders, and runs the
// onnx checker on each.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		file string
		mp   func() *onnxpb.ModelProto
	}{
		{"logistic.onnx", logisticProto},
		{"trees.onnx", treeProto},
		{"sklearn_like.onnx", sklearnLikeProto},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b := mustMarshal(t, tc.mp())
			golden(t, tc.file, b)
			onnxCheck(t, b)
		})
	}
}

func TestParse(t *testing.T) {
	for _, file := range []string{"logistic.onnx", "trees.onnx"} {
		t.Run(file, func(t *testing.T) {
			m, err := models.Load(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != models.KindRisk || m.FeatureVersion != testFeatureVersion || strings.Join(m.Features, ",") != "a,b,c" {
				t.Fatalf("got kind %q, version %q, features %v", m.Kind, m.FeatureVersion, m.Features)
			}
			if m.Meta[models.MetaKind] != models.KindRisk || m.Imported() {
				t.Fatalf("meta %v", m.Meta)
			}
			if err := m.CheckFeatures([]string{"a", "b", "c"}, testFeatureVersion); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	b, err := models.Encode(logisticGraph(), models.KindAnomaly, testFeatures, "v9")
	if err != nil {
		t.Fatal(err)
	}
	m := mustParse(t, b)
	if m.Kind != models.KindAnomaly || m.FeatureVersion != "v9" {
		t.Fatalf("got %q %q", m.Kind, m.FeatureVersion)
	}
	onnxCheck(t, b)
	if _, err := models.Encode(logisticGraph(), "fraud", testFeatures, "v9"); !errors.Is(err, models.ErrContract) {
		t.Fatalf("kind fraud: got %v, want a contract error", err)
	}
	if _, err := models.Encode(logisticGraph(), models.KindRisk, []string{"a", "b"}, "v9"); !errors.Is(err, models.ErrContract) {
		t.Fatalf("two features for a width-3 graph: got %v, want a contract error", err)
	}
}

func setDim(v *onnxpb.ValueInfoProto, i int, d int64) {
	v.Type.GetTensorType().Shape.Dim[i] = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}}
}

func metaSet(mp *onnxpb.ModelProto, key, value string) {
	for _, kv := range mp.MetadataProps {
		if kv.GetKey() == key {
			kv.Value = proto.String(value)
		}
	}
}

func metaDrop(mp *onnxpb.ModelProto, key string) {
	var kept []*onnxpb.StringStringEntryProto
	for _, kv := range mp.MetadataProps {
		if kv.GetKey() != key {
			kept = append(kept, kv)
		}
	}
	mp.MetadataProps = kept
}

// TestParseRefuses breaks the logistic model one way at a time; each must be refused with the
// field that names the break.
func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(mp *onnxpb.ModelProto)
		field  string
	}{
		{"wrong input name", func(mp *onnxpb.ModelProto) {
			mp.Graph.Input[0].Name = proto.String("float_input")
			mp.Graph.Node[0].Input[0] = "float_input"
		}, "input[0].name"},
		{"double input", func(mp *onnxpb.ModelProto) {
			mp.Graph.Input[0].Type.GetTensorType().ElemType = proto.Int32(int32(onnxpb.TensorProto_DOUBLE))
		}, "input[0].type"},
		{"wrong width", func(mp *onnxpb.ModelProto) { setDim(mp.Graph.Input[0], 1, 4) }, "input[0].shape[1]"},
		{"fixed batch", func(mp *onnxpb.ModelProto) { setDim(mp.Graph.Input[0], 0, 1) }, "input[0].shape[0]"},
		{"rank 1 input", func(mp *onnxpb.ModelProto) {
			mp.Graph.Input[0].Type.GetTensorType().Shape.Dim = mp.Graph.Input[0].Type.GetTensorType().Shape.Dim[:1]
		}, "input[0].shape"},
		{"two inputs", func(mp *onnxpb.ModelProto) {
			mp.Graph.Input = append(mp.Graph.Input, models.OutputInfo(1))
			mp.Graph.Input[1].Name = proto.String("extra")
		}, "inputs"},
		{"features missing", func(mp *onnxpb.ModelProto) { metaDrop(mp, models.MetaFeatures) }, "metadata riskmap.features"},
		{"features not json", func(mp *onnxpb.ModelProto) { metaSet(mp, models.MetaFeatures, "a,b,c") }, "metadata riskmap.features"},
		{"features repeated", func(mp *onnxpb.ModelProto) { metaSet(mp, models.MetaFeatures, `["a","b","a"]`) }, "metadata riskmap.features"},
		{"feature version missing", func(mp *onnxpb.ModelProto) { metaDrop(mp, models.MetaFeatureVersion) }, "metadata riskmap.feature_version"},
		{"wrong kind", func(mp *onnxpb.ModelProto) { metaSet(mp, models.MetaKind, "fraud") }, "metadata riskmap.kind"},
		{"kind missing", func(mp *onnxpb.ModelProto) { metaDrop(mp, models.MetaKind) }, "metadata riskmap.kind"},
		{"duplicate metadata", func(mp *onnxpb.ModelProto) {
			mp.MetadataProps = append(mp.MetadataProps, &onnxpb.StringStringEntryProto{Key: proto.String(models.MetaKind), Value: proto.String("anomaly")})
		}, "metadata riskmap.kind"},
		{"output missing", func(mp *onnxpb.ModelProto) { mp.Graph.Output = nil }, "output"},
		{"output renamed", func(mp *onnxpb.ModelProto) {
			mp.Graph.Output[0].Name = proto.String("probability")
			mp.Graph.Node[2].Output[0] = "probability"
		}, "output"},
		{"output wrong shape", func(mp *onnxpb.ModelProto) { setDim(mp.Graph.Output[0], 1, 2) }, "output[0].shape"},
		{"output double", func(mp *onnxpb.ModelProto) {
			mp.Graph.Output[0].Type.GetTensorType().ElemType = proto.Int32(int32(onnxpb.TensorProto_DOUBLE))
		}, "output[0].type"},
		{"score not produced", func(mp *onnxpb.ModelProto) { mp.Graph.Node = mp.Graph.Node[:2] }, "output"},
		{"dangling node input", func(mp *onnxpb.ModelProto) { mp.Graph.Node[1].Input[1] = "bias" }, "graph.node[1].input"},
		{"opset 18", func(mp *onnxpb.ModelProto) { mp.OpsetImport[0].Version = proto.Int64(18) }, "opset"},
		{"ml opset 2", func(mp *onnxpb.ModelProto) { mp.OpsetImport[1].Version = proto.Int64(2) }, "opset"},
		{"no ai.onnx opset", func(mp *onnxpb.ModelProto) { mp.OpsetImport = mp.OpsetImport[1:] }, "opset"},
		{"foreign domain", func(mp *onnxpb.ModelProto) {
			mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String("com.microsoft"), Version: proto.Int64(1)})
		}, "opset"},
		{"node in unimported domain", func(mp *onnxpb.ModelProto) { mp.Graph.Node[2].Domain = proto.String("com.microsoft") }, "graph.node[2].domain"},
		{"ir version 9", func(mp *onnxpb.ModelProto) { mp.IrVersion = proto.Int64(9) }, "ir_version"},
		{"no graph", func(mp *onnxpb.ModelProto) { mp.Graph = nil }, "graph"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp := logisticProto()
			tc.mutate(mp)
			_, err := models.Parse(mustMarshal(t, mp))
			var ce *models.ContractError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *ContractError", err)
			}
			if ce.Field != tc.field {
				t.Fatalf("field %q, want %q (%v)", ce.Field, tc.field, err)
			}
			if !errors.Is(err, models.ErrContract) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %q does not name %q or match ErrContract", err, tc.field)
			}
		})
	}
}

func TestParseCorrupt(t *testing.T) {
	good := mustMarshal(t, logisticProto())
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"text", []byte("this is not an onnx model\n")},
		{"truncated", good[:len(good)/2]},
		{"json", []byte(`{"ir_version": 8}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := models.Parse(tc.b)
			if !errors.Is(err, models.ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestCheckFeatures(t *testing.T) {
	m := mustParse(t, mustMarshal(t, logisticProto()))
	for _, tc := range []struct {
		name    string
		names   []string
		version string
		field   string // "" = accepted
		detail  string
	}{
		{"same", []string{"a", "b", "c"}, testFeatureVersion, "", ""},
		{"version unchecked", []string{"a", "b", "c"}, "", "", ""},
		{"another order", []string{"a", "c", "b"}, "", "metadata riskmap.features[1]", "another order"},
		{"feature missing", []string{"a", "b", "d"}, "", "metadata riskmap.features[2]", `"c" is missing`},
		{"caller has fewer", []string{"a", "b"}, "", "metadata riskmap.features[2]", "3 features, the caller 2"},
		{"caller has more", []string{"a", "b", "c", "d"}, "", "metadata riskmap.features[3]", "3 features, the caller 4"},
		{"other feature version", []string{"a", "b", "c"}, "test-2", "metadata riskmap.feature_version", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := m.CheckFeatures(tc.names, tc.version)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *models.ContractError
			if !errors.As(err, &ce) || ce.Field != tc.field || !strings.Contains(err.Error(), tc.detail) {
				t.Fatalf("got %v, want field %q mentioning %q", err, tc.field, tc.detail)
			}
		})
	}
}
