package models

import (
	"fmt"
	"strings"

	"github.com/riskmap/riskmap/models/onnxpb"
)

// checkSelfContained refuses a model any of whose tensors keeps its data in another file
// (data_location EXTERNAL, or external_data entries such as location=../../weights.bin). A
// riskmap model is one file: the registry copies it, hashes it and loads it from bytes, and
// onnxruntime would otherwise open whatever path the model names. Every place a tensor can
// be is looked at: initializers, sparse initializers, node attributes, subgraphs (If, Loop,
// Scan bodies), functions and training info. The error names the tensor and where it is.
func checkSelfContained(mp *onnxpb.ModelProto) error {
	if err := externalInGraph(mp.GetGraph(), "graph"); err != nil {
		return err
	}
	for i, f := range mp.GetFunctions() {
		if err := externalInNodes(f.GetNode(), fmt.Sprintf("function[%d] %q", i, f.GetName())); err != nil {
			return err
		}
	}
	for i, ti := range mp.GetTrainingInfo() {
		for _, g := range []*onnxpb.GraphProto{ti.GetInitialization(), ti.GetAlgorithm()} {
			if err := externalInGraph(g, fmt.Sprintf("training_info[%d]", i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func externalInGraph(g *onnxpb.GraphProto, where string) error {
	if g == nil {
		return nil
	}
	if g.GetName() != "" {
		where += " " + fmt.Sprintf("%q", g.GetName())
	}
	for _, t := range g.GetInitializer() {
		if err := externalTensor(t, where+" initializer"); err != nil {
			return err
		}
	}
	for _, st := range g.GetSparseInitializer() {
		for _, t := range []*onnxpb.TensorProto{st.GetValues(), st.GetIndices()} {
			if err := externalTensor(t, where+" sparse initializer"); err != nil {
				return err
			}
		}
	}
	return externalInNodes(g.GetNode(), where)
}

func externalInNodes(nodes []*onnxpb.NodeProto, where string) error {
	for i, n := range nodes {
		at := fmt.Sprintf("%s node[%d] %s %q attribute", where, i, n.GetOpType(), n.GetName())
		for _, a := range n.GetAttribute() {
			ts := append([]*onnxpb.TensorProto{a.GetT()}, a.GetTensors()...)
			sparse := append([]*onnxpb.SparseTensorProto{a.GetSparseTensor()}, a.GetSparseTensors()...)
			for _, st := range sparse {
				ts = append(ts, st.GetValues(), st.GetIndices())
			}
			for _, t := range ts {
				if err := externalTensor(t, at+" "+a.GetName()); err != nil {
					return err
				}
			}
			for _, g := range append([]*onnxpb.GraphProto{a.GetG()}, a.GetGraphs()...) {
				if err := externalInGraph(g, at+" "+a.GetName()+" subgraph"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func externalTensor(t *onnxpb.TensorProto, where string) error {
	if t == nil {
		return nil
	}
	if t.GetDataLocation() != onnxpb.TensorProto_EXTERNAL && len(t.GetExternalData()) == 0 {
		return nil
	}
	var refs []string
	for _, e := range t.GetExternalData() {
		refs = append(refs, fmt.Sprintf("%s=%q", e.GetKey(), truncate(e.GetValue(), 80)))
	}
	got := "data in another file"
	if len(refs) > 0 {
		got += " (" + strings.Join(refs, ", ") + ")"
	}
	return &ContractError{Field: fmt.Sprintf("tensor %q (%s)", truncate(t.GetName(), 80), where), Want: "its data inside the model file", Got: got,
		Detail: "a riskmap model is self-contained: re-save it with onnx.save_model(model, path, save_as_external_data=False)"}
}
