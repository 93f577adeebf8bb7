package models

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models/onnxpb"
)

// Producer is the producer_name of the models riskmap writes.
const Producer = "riskmap"

// InputInfo returns the contract's input: "features", float32 [N, width].
func InputInfo(width int) *onnxpb.ValueInfoProto {
	return tensorInfo(InputName, onnxpb.TensorProto_FLOAT, symDim("N"), valDim(int64(width)))
}

// OutputInfo returns the contract's output "score": float32 [N] for rank 1, [N, 1] otherwise.
func OutputInfo(rank int) *onnxpb.ValueInfoProto {
	if rank == 1 {
		return tensorInfo(OutputName, onnxpb.TensorProto_FLOAT, symDim("N"))
	}
	return tensorInfo(OutputName, onnxpb.TensorProto_FLOAT, symDim("N"), valDim(1))
}

func tensorInfo(name string, elem onnxpb.TensorProto_DataType, dims ...*onnxpb.TensorShapeProto_Dimension) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(elem)),
			Shape:    &onnxpb.TensorShapeProto{Dim: dims},
		}}},
	}
}

func symDim(p string) *onnxpb.TensorShapeProto_Dimension {
	return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: p}}
}

func valDim(v int64) *onnxpb.TensorShapeProto_Dimension {
	return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: v}}
}

// Encode wraps g in a model with the contract's IR version, opsets (ai.onnx 17, ai.onnx.ml 3) and
// metadata, checks the result with Parse and returns its bytes (deterministic for the same input).
// g must already read InputInfo(len(features)) and write OutputInfo; Encode does not change g.
func Encode(g *onnxpb.GraphProto, kind string, features []string, featureVersion string) ([]byte, error) {
	mp := &onnxpb.ModelProto{
		IrVersion:    proto.Int64(IRVersion),
		ProducerName: proto.String(Producer),
		OpsetImport: []*onnxpb.OperatorSetIdProto{
			{Domain: proto.String(""), Version: proto.Int64(OpsetONNX)},
			{Domain: proto.String(DomainML), Version: proto.Int64(OpsetML)},
		},
		Graph: g,
	}
	if err := setContractMeta(mp, kind, features, featureVersion); err != nil {
		return nil, err
	}
	b, err := marshal(mp)
	if err != nil {
		return nil, err
	}
	if _, err := Parse(b); err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	return b, nil
}

func marshal(mp *onnxpb.ModelProto) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("marshal model: %w", err)
	}
	return b, nil
}

// setContractMeta replaces the riskmap.* metadata of mp, keeping every other entry in order.
func setContractMeta(mp *onnxpb.ModelProto, kind string, features []string, featureVersion string) error {
	if kind != KindRisk && kind != KindAnomaly {
		return &ContractError{Field: "metadata " + MetaKind, Want: KindRisk + " or " + KindAnomaly, Got: fmt.Sprintf("%q", kind)}
	}
	fj, err := json.Marshal(features)
	if err != nil {
		return fmt.Errorf("encode feature list: %w", err)
	}
	if _, err := parseFeatureList(string(fj)); err != nil {
		return &ContractError{Field: "metadata " + MetaFeatures, Want: "a list of distinct non-empty feature names", Got: err.Error()}
	}
	if featureVersion == "" {
		return &ContractError{Field: "metadata " + MetaFeatureVersion, Want: "a feature version", Got: "empty"}
	}
	setMeta(mp, MetaKind, kind)
	setMeta(mp, MetaFeatures, string(fj))
	setMeta(mp, MetaFeatureVersion, featureVersion)
	return nil
}

// setMeta sets key to value, replacing every existing entry for key.
func setMeta(mp *onnxpb.ModelProto, key, value string) {
	kept := mp.MetadataProps[:0]
	for _, kv := range mp.MetadataProps {
		if kv.GetKey() != key {
			kept = append(kept, kv)
		}
	}
	mp.MetadataProps = append(kept, &onnxpb.StringStringEntryProto{Key: proto.String(key), Value: proto.String(value)})
}
