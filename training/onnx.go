package training

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/models/onnxpb"
)

// producer names riskmap in the models it writes.
const producer = "riskmap"

// checkExport refuses metadata that the model contract would refuse, before any bytes exist.
func checkExport(kind string, features []string, featureVersion string, cols int) error {
	if kind != models.KindRisk && kind != models.KindAnomaly {
		return fmt.Errorf("export onnx: kind %q: want %q or %q", kind, models.KindRisk, models.KindAnomaly)
	}
	if len(features) != cols {
		return fmt.Errorf("export onnx: %d feature names for a model of %d features", len(features), cols)
	}
	seen := make(map[string]bool, len(features))
	for i, f := range features {
		if f == "" || seen[f] {
			return fmt.Errorf("export onnx: feature %d %q: want distinct non-empty names", i, f)
		}
		seen[f] = true
	}
	if featureVersion == "" {
		return fmt.Errorf("export onnx: empty feature version: want the version of the feature spec")
	}
	return nil
}

// encodeModel wraps the graph's nodes and constants in a model that keeps the contract:
// input "features" float32 [N, cols], output "score" float32 [N, 1], IR 8, opsets ai.onnx 17
// and ai.onnx.ml 3, and the riskmap metadata. The bytes are deterministic for the same input.
func encodeModel(name string, nodes []*onnxpb.NodeProto, inits []*onnxpb.TensorProto, kind string, features []string, featureVersion string) ([]byte, error) {
	fj, err := json.Marshal(features)
	if err != nil {
		return nil, fmt.Errorf("export onnx: encode feature list: %w", err)
	}
	meta := func(k, v string) *onnxpb.StringStringEntryProto {
		return &onnxpb.StringStringEntryProto{Key: proto.String(k), Value: proto.String(v)}
	}
	mp := &onnxpb.ModelProto{
		IrVersion:    proto.Int64(models.IRVersion),
		ProducerName: proto.String(producer),
		OpsetImport: []*onnxpb.OperatorSetIdProto{
			{Domain: proto.String(""), Version: proto.Int64(models.OpsetONNX)},
			{Domain: proto.String("ai.onnx.ml"), Version: proto.Int64(models.OpsetML)},
		},
		Graph: &onnxpb.GraphProto{
			Name:        proto.String(name),
			Node:        nodes,
			Initializer: inits,
			Input:       []*onnxpb.ValueInfoProto{floatInfo(models.InputName, -1, int64(len(features)))},
			Output:      []*onnxpb.ValueInfoProto{floatInfo(models.OutputName, -1, 1)},
		},
		MetadataProps: []*onnxpb.StringStringEntryProto{
			meta(models.MetaKind, kind),
			meta(models.MetaFeatures, string(fj)),
			meta(models.MetaFeatureVersion, featureVersion),
		},
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("export onnx: marshal: %w", err)
	}
	return b, nil
}

// floatInfo describes a float32 tensor; a dimension of -1 is the symbolic batch size "N".
func floatInfo(name string, dims ...int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}}
		if d < 0 {
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
			Shape:    shape,
		}}},
	}
}

// floatTensor is a constant float32 tensor.
func floatTensor(name string, dims []int64, v []float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{
		Name: proto.String(name), Dims: dims,
		DataType:  proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
		FloatData: v,
	}
}

func opNode(op, domain, name string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	n := &onnxpb.NodeProto{OpType: proto.String(op), Name: proto.String(name), Input: in, Output: out, Attribute: attrs}
	if domain != "" {
		n.Domain = proto.String(domain)
	}
	return n
}

func attrInts(name string, v []int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func attrInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func attrFloats(name string, v []float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOATS.Enum(), Floats: v}
}

func attrString(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}
}

func attrStrings(name string, v []string) *onnxpb.AttributeProto {
	b := make([][]byte, len(v))
	for i, s := range v {
		b[i] = []byte(s)
	}
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRINGS.Enum(), Strings: b}
}

// treeEnsemble returns a TreeEnsembleRegressor (ai.onnx.ml 3) node reading in and writing out
// [N, 1]. Every node, leaves included, is listed in every nodes_* attribute; nodes_hitrates
// holds each node's cover, which explanations (Saabas) weigh the paths by.
func treeEnsemble(name, in, out string, trees []tree, aggregate string, base []float32) *onnxpb.NodeProto {
	var (
		treeIDs, nodeIDs, featIDs, trueIDs, falseIDs, missing []int64
		modes                                                 []string
		values, hitrates                                      []float32
		tTree, tNode, tID                                     []int64
		tWeight                                               []float32
	)
	for ti := range trees {
		for ni, nd := range trees[ti].nodes {
			treeIDs = append(treeIDs, int64(ti))
			nodeIDs = append(nodeIDs, int64(ni))
			hitrates = append(hitrates, float32(nd.cover))
			if nd.feature < 0 {
				modes = append(modes, "LEAF")
				featIDs, values = append(featIDs, 0), append(values, 0)
				trueIDs, falseIDs, missing = append(trueIDs, 0), append(falseIDs, 0), append(missing, 0)
				tTree, tNode, tID = append(tTree, int64(ti)), append(tNode, int64(ni)), append(tID, 0)
				tWeight = append(tWeight, nd.value)
				continue
			}
			modes = append(modes, "BRANCH_LEQ")
			featIDs, values = append(featIDs, int64(nd.feature)), append(values, nd.threshold)
			trueIDs, falseIDs = append(trueIDs, int64(nd.left)), append(falseIDs, int64(nd.right))
			ml := int64(0)
			if nd.missingLeft {
				ml = 1
			}
			missing = append(missing, ml)
		}
	}
	attrs := []*onnxpb.AttributeProto{
		attrInt("n_targets", 1),
		attrString("aggregate_function", aggregate),
		attrString("post_transform", "NONE"),
		attrInts("nodes_treeids", treeIDs),
		attrInts("nodes_nodeids", nodeIDs),
		attrInts("nodes_featureids", featIDs),
		attrStrings("nodes_modes", modes),
		attrFloats("nodes_values", values),
		attrInts("nodes_truenodeids", trueIDs),
		attrInts("nodes_falsenodeids", falseIDs),
		attrInts("nodes_missing_value_tracks_true", missing),
		attrFloats("nodes_hitrates", hitrates),
		attrInts("target_treeids", tTree),
		attrInts("target_nodeids", tNode),
		attrInts("target_ids", tID),
		attrFloats("target_weights", tWeight),
	}
	if base != nil {
		attrs = append(attrs, attrFloats("base_values", base))
	}
	return opNode("TreeEnsembleRegressor", "ai.onnx.ml", name, []string{in}, []string{out}, attrs...)
}
