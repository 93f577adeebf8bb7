package models

import (
	"fmt"
	"strings"

	"github.com/riskmap/riskmap/models/onnxpb"
)

// graphInputs returns the graph's real inputs: the declared inputs that are not initializers
// (IR 3 allowed initializers to be listed as inputs too, and exporters still do it).
func graphInputs(g *onnxpb.GraphProto) []*onnxpb.ValueInfoProto {
	inits := make(map[string]bool, len(g.GetInitializer()))
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = true
	}
	var in []*onnxpb.ValueInfoProto
	for _, v := range g.GetInput() {
		if !inits[v.GetName()] {
			in = append(in, v)
		}
	}
	return in
}

func names(vs []*onnxpb.ValueInfoProto) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprintf("%q", v.GetName())
	}
	return strings.Join(s, ", ")
}

// elemTypeName names a TensorProto data type the way numpy users know it.
func elemTypeName(t int32) string {
	switch onnxpb.TensorProto_DataType(t) {
	case onnxpb.TensorProto_FLOAT:
		return "float32"
	case onnxpb.TensorProto_DOUBLE:
		return "float64 (double)"
	case onnxpb.TensorProto_FLOAT16:
		return "float16"
	case onnxpb.TensorProto_INT64:
		return "int64"
	case onnxpb.TensorProto_INT32:
		return "int32"
	case onnxpb.TensorProto_STRING:
		return "string"
	case onnxpb.TensorProto_UNDEFINED:
		return "undefined"
	}
	return onnxpb.TensorProto_DataType(t).String()
}

// typeName describes a value's type: "float32 tensor", "sequence", "map", ...
func typeName(v *onnxpb.ValueInfoProto) string {
	tp := v.GetType()
	switch {
	case tp == nil:
		return "no type"
	case tp.GetTensorType() != nil:
		return elemTypeName(tp.GetTensorType().GetElemType()) + " tensor"
	case tp.GetSequenceType() != nil:
		return "sequence"
	case tp.GetMapType() != nil:
		return "map"
	case tp.GetSparseTensorType() != nil:
		return "sparse tensor"
	}
	return "unknown type"
}

// shapeString renders a tensor shape as [N, 12]; "unknown rank" when none is declared.
func shapeString(sh *onnxpb.TensorShapeProto) string {
	if sh == nil {
		return "unknown rank"
	}
	parts := make([]string, len(sh.GetDim()))
	for i, d := range sh.GetDim() {
		parts[i] = dimString(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func dimString(d *onnxpb.TensorShapeProto_Dimension) string {
	switch v := d.GetValue().(type) {
	case *onnxpb.TensorShapeProto_Dimension_DimValue:
		return fmt.Sprint(v.DimValue)
	case *onnxpb.TensorShapeProto_Dimension_DimParam:
		return v.DimParam
	}
	return "?"
}

// isBatchDim accepts a symbolic or unknown first dimension; a fixed one would pin the batch size.
func isBatchDim(d *onnxpb.TensorShapeProto_Dimension) bool {
	_, fixed := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue)
	return !fixed
}

func fixedDim(d *onnxpb.TensorShapeProto_Dimension) (int64, bool) {
	v, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue)
	if !ok {
		return 0, false
	}
	return v.DimValue, true
}

func isFloatTensor(v *onnxpb.ValueInfoProto) bool {
	tt := v.GetType().GetTensorType()
	return tt != nil && tt.GetElemType() == int32(onnxpb.TensorProto_FLOAT)
}

func checkInput(g *onnxpb.GraphProto, width int) error {
	in := graphInputs(g)
	if len(in) != 1 {
		return &ContractError{Field: "inputs", Want: fmt.Sprintf("one input %q", InputName), Got: fmt.Sprintf("%d: %s", len(in), names(in))}
	}
	v := in[0]
	if v.GetName() != InputName {
		return &ContractError{Field: "input[0].name", Want: fmt.Sprintf("%q", InputName), Got: fmt.Sprintf("%q", v.GetName())}
	}
	if !isFloatTensor(v) {
		return &ContractError{Field: "input[0].type", Want: "float32 tensor", Got: typeName(v)}
	}
	sh := v.GetType().GetTensorType().GetShape()
	if sh == nil || len(sh.GetDim()) != 2 {
		return &ContractError{Field: "input[0].shape", Want: fmt.Sprintf("[N, %d]", width), Got: shapeString(sh)}
	}
	if !isBatchDim(sh.GetDim()[0]) {
		return &ContractError{Field: "input[0].shape[0]", Want: "a symbolic batch dimension (N)", Got: dimString(sh.GetDim()[0])}
	}
	if w, ok := fixedDim(sh.GetDim()[1]); !ok || w != int64(width) {
		return &ContractError{Field: "input[0].shape[1]", Want: fmt.Sprintf("%d (the number of features in %s)", width, MetaFeatures), Got: dimString(sh.GetDim()[1])}
	}
	return nil
}

func checkOutput(g *onnxpb.GraphProto) error {
	out := g.GetOutput()
	if len(out) != 1 || out[0].GetName() != OutputName {
		got := "none"
		if len(out) > 0 {
			got = names(out)
		}
		return &ContractError{Field: "output", Want: fmt.Sprintf("one output %q", OutputName), Got: got}
	}
	v := out[0]
	if !isFloatTensor(v) {
		return &ContractError{Field: "output[0].type", Want: "float32 tensor", Got: typeName(v)}
	}
	sh := v.GetType().GetTensorType().GetShape()
	ok := sh != nil && (len(sh.GetDim()) == 1 || len(sh.GetDim()) == 2) && isBatchDim(sh.GetDim()[0])
	if ok && len(sh.GetDim()) == 2 {
		w, fixed := fixedDim(sh.GetDim()[1])
		ok = fixed && w == 1
	}
	if !ok {
		return &ContractError{Field: "output[0].shape", Want: "[N, 1] or [N]", Got: shapeString(sh)}
	}
	return nil
}

// checkWiring makes sure every node input and the graph output are defined before use, so that a
// model stamped or built in Go fails here, with a name, rather than inside onnxruntime.
func checkWiring(g *onnxpb.GraphProto) error {
	defined := map[string]bool{"": true} // an empty name is an omitted optional input
	for _, v := range g.GetInput() {
		defined[v.GetName()] = true
	}
	for _, t := range g.GetInitializer() {
		defined[t.GetName()] = true
	}
	for _, t := range g.GetSparseInitializer() {
		defined[t.GetValues().GetName()] = true
	}
	for i, n := range g.GetNode() {
		for _, in := range n.GetInput() {
			if !defined[in] {
				return &ContractError{Field: fmt.Sprintf("graph.node[%d].input", i), Want: "values defined by an input, initializer or earlier node", Got: fmt.Sprintf("%q (op %s)", in, n.GetOpType())}
			}
		}
		for _, o := range n.GetOutput() {
			defined[o] = true
		}
	}
	if !defined[OutputName] {
		return &ContractError{Field: "output", Want: fmt.Sprintf("%q produced by a node", OutputName), Got: "no node produces it"}
	}
	return nil
}
