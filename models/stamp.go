package models

import (
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models/onnxpb"
)

// Stamp fits a model made elsewhere (sklearn through skl2onnx with zipmap=False, PyTorch, ...) to the
// contract and returns its bytes, with one note per change it made:
//   - the contract metadata (kind, features, feature version) and riskmap.imported=true are set;
//   - an input not named "features" or an output not named "score" is renamed everywhere the graph
//     refers to it (node inputs and outputs, value_info, subgraphs);
//   - a classifier's probabilities [N, 2] are reduced to the positive class, column 1, by an appended
//     Slice whose output "score" is [N, 1]; other outputs (the label) are dropped;
//   - an input width or IR version the exporter left unset or older than 8 is filled in.
//
// Stamp changes nothing it cannot change safely: a double input, a fixed batch size, another opset
// or a multi-class output is an error (a *ContractError where the contract names the field).
// The result is checked with Parse.
func Stamp(b []byte, kind string, features []string, featureVersion string) (out []byte, notes []string, err error) {
	if len(b) == 0 {
		return nil, nil, fmt.Errorf("stamp: %w: empty file", ErrCorrupt)
	}
	mp := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(b, mp); err != nil {
		return nil, nil, fmt.Errorf("stamp: %w: %v", ErrCorrupt, err)
	}
	g := mp.GetGraph()
	if g == nil {
		return nil, nil, fmt.Errorf("stamp: %w: no graph", ErrCorrupt)
	}
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }

	switch ir := mp.GetIrVersion(); {
	case ir == IRVersion:
	case ir >= 3 && ir < IRVersion:
		// Later IR versions only add to the format; nothing an IR 3..7 model holds changes meaning.
		mp.IrVersion = proto.Int64(IRVersion)
		note("ir_version %d raised to %d", ir, IRVersion)
	default:
		return nil, nil, fmt.Errorf("stamp: %w", &ContractError{Field: "ir_version", Want: fmt.Sprint(IRVersion), Got: fmt.Sprint(ir),
			Detail: "export with an onnx version that writes IR 8 (onnx 1.12 .. 1.13, or save with ir_version=8)"})
	}
	if err := checkOpsets(mp); err != nil {
		var ce *ContractError
		if errors.As(err, &ce) {
			ce.Detail = "re-export with target_opset={'': 17, 'ai.onnx.ml': 3} (skl2onnx) or opset_version=17 (torch.onnx.export)"
		}
		return nil, nil, fmt.Errorf("stamp: %w", err)
	}
	if err := stampInput(g, len(features), note); err != nil {
		return nil, nil, fmt.Errorf("stamp: %w", err)
	}
	if err := stampOutput(g, note); err != nil {
		return nil, nil, fmt.Errorf("stamp: %w", err)
	}
	if err := setContractMeta(mp, kind, features, featureVersion); err != nil {
		return nil, nil, fmt.Errorf("stamp: %w", err)
	}
	setMeta(mp, MetaImported, "true")
	note("metadata set: %s=%s, %s (%d names), %s=%s, %s=true", MetaKind, kind, MetaFeatures, len(features), MetaFeatureVersion, featureVersion, MetaImported)

	if out, err = marshal(mp); err != nil {
		return nil, nil, fmt.Errorf("stamp: %w", err)
	}
	if _, err := Parse(out); err != nil {
		return nil, nil, fmt.Errorf("stamp: %w", err)
	}
	return out, notes, nil
}

func stampInput(g *onnxpb.GraphProto, width int, note func(string, ...any)) error {
	in := graphInputs(g)
	if len(in) != 1 {
		return &ContractError{Field: "inputs", Want: fmt.Sprintf("one input %q", InputName), Got: fmt.Sprintf("%d: %s", len(in), names(in)),
			Detail: "riskmap feeds one float32 matrix; fold other inputs into the graph"}
	}
	v := in[0]
	if !isFloatTensor(v) {
		return &ContractError{Field: "input[0].type", Want: "float32 tensor", Got: typeName(v),
			Detail: "export with FloatTensorType (skl2onnx) or a float32 model (PyTorch)"}
	}
	if v.GetName() != InputName {
		old := v.GetName()
		if err := renameValue(g, old, InputName); err != nil {
			return err
		}
		note("input %q renamed to %q", old, InputName)
	}
	tt := v.GetType().GetTensorType()
	if tt.Shape == nil {
		tt.Shape = &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{symDim("N"), valDim(int64(width))}}
		note("input shape, undeclared, set to [N, %d]", width)
		return nil
	}
	dims := tt.Shape.GetDim()
	if len(dims) != 2 {
		return &ContractError{Field: "input[0].shape", Want: fmt.Sprintf("[N, %d]", width), Got: shapeString(tt.Shape)}
	}
	if !isBatchDim(dims[0]) {
		return &ContractError{Field: "input[0].shape[0]", Want: "a symbolic batch dimension (N)", Got: dimString(dims[0]),
			Detail: "export with a dynamic batch axis (dynamic_axes in torch.onnx.export, [None, F] in skl2onnx)"}
	}
	if w, fixed := fixedDim(dims[1]); !fixed {
		note("input width %s set to %d, the number of features", dimString(dims[1]), width)
		dims[1] = valDim(int64(width))
	} else if w != int64(width) {
		return &ContractError{Field: "input[0].shape[1]", Want: fmt.Sprintf("%d (the number of features given)", width), Got: fmt.Sprint(w)}
	}
	return nil
}

// stampOutput picks the score output and makes it the contract's "score".
func stampOutput(g *onnxpb.GraphProto, note func(string, ...any)) error {
	outs := g.GetOutput()
	var pick *onnxpb.ValueInfoProto
	var floats []*onnxpb.ValueInfoProto
	for _, o := range outs {
		if isFloatTensor(o) {
			floats = append(floats, o)
		}
	}
	for _, o := range floats {
		if o.GetName() == OutputName {
			pick = o
		}
	}
	if pick == nil && len(floats) == 1 {
		pick = floats[0]
	}
	if pick == nil {
		for _, o := range floats {
			if o.GetName() == "probabilities" {
				pick = o
			}
		}
	}
	if pick == nil {
		got := "none"
		if len(outs) > 0 {
			got = names(outs)
		}
		return &ContractError{Field: "output", Want: fmt.Sprintf("one float32 output (%q, or classifier %q [N, 2])", OutputName, "probabilities"), Got: got}
	}
	for _, o := range outs {
		if o != pick {
			note("output %q (%s) dropped", o.GetName(), typeName(o))
		}
	}
	sh := pick.GetType().GetTensorType().GetShape()
	dims := sh.GetDim()
	if sh == nil || len(dims) < 1 || len(dims) > 2 || !isBatchDim(dims[0]) {
		return &ContractError{Field: "output[0].shape", Want: "[N], [N, 1] or classifier probabilities [N, 2]", Got: shapeString(sh)}
	}
	cols := int64(1)
	if len(dims) == 2 {
		var fixed bool
		if cols, fixed = fixedDim(dims[1]); !fixed {
			return &ContractError{Field: "output[0].shape[1]", Want: "1, or 2 for a binary classifier", Got: dimString(dims[1])}
		}
	}
	switch cols {
	case 1:
		g.Output = []*onnxpb.ValueInfoProto{pick}
		if pick.GetName() != OutputName {
			old := pick.GetName()
			if err := renameValue(g, old, OutputName); err != nil {
				return err
			}
			note("output %q renamed to %q", old, OutputName)
		}
		return nil
	case 2:
		return sliceScore(g, pick, note)
	}
	return &ContractError{Field: "output[0].shape[1]", Want: "1, or 2 for a binary classifier", Got: fmt.Sprint(cols),
		Detail: "a multi-class model has no single score; export a binary one"}
}

// sliceScore appends Slice(probabilities, [1], [2], axes [1]) -> score [N, 1]: the positive class.
func sliceScore(g *onnxpb.GraphProto, probs *onnxpb.ValueInfoProto, note func(string, ...any)) error {
	used := valueNames(g)
	consts := []string{"riskmap_score_starts", "riskmap_score_ends", "riskmap_score_axes"}
	for _, n := range append([]string{OutputName}, consts...) {
		if used[n] {
			return &ContractError{Field: "output", Want: fmt.Sprintf("no value already named %q", n), Got: "one", Detail: "cannot add the positive-class Slice"}
		}
	}
	for i, v := range []int64{1, 2, 1} {
		g.Initializer = append(g.Initializer, &onnxpb.TensorProto{
			Name:      proto.String(consts[i]),
			DataType:  proto.Int32(int32(onnxpb.TensorProto_INT64)),
			Dims:      []int64{1},
			Int64Data: []int64{v},
		})
	}
	g.Node = append(g.Node, &onnxpb.NodeProto{
		Name:   proto.String("riskmap_positive_class"),
		OpType: proto.String("Slice"),
		Domain: proto.String(""),
		Input:  []string{probs.GetName(), consts[0], consts[1], consts[2]},
		Output: []string{OutputName},
	})
	// The probabilities stay in the graph as an intermediate value; keep their declared type.
	g.ValueInfo = append(g.ValueInfo, probs)
	dims := probs.GetType().GetTensorType().GetShape().GetDim()
	g.Output = []*onnxpb.ValueInfoProto{tensorInfo(OutputName, onnxpb.TensorProto_FLOAT, &onnxpb.TensorShapeProto_Dimension{Value: dims[0].GetValue()}, valDim(1))}
	note("output %q [%s, 2] reduced to its positive-class column by Slice -> %q [%s, 1]", probs.GetName(), dimString(dims[0]), OutputName, dimString(dims[0]))
	return nil
}

// valueNames collects every value name in g and its subgraphs.
func valueNames(g *onnxpb.GraphProto) map[string]bool {
	used := map[string]bool{}
	var walk func(g *onnxpb.GraphProto)
	walk = func(g *onnxpb.GraphProto) {
		for _, vs := range [][]*onnxpb.ValueInfoProto{g.GetInput(), g.GetOutput(), g.GetValueInfo()} {
			for _, v := range vs {
				used[v.GetName()] = true
			}
		}
		for _, t := range g.GetInitializer() {
			used[t.GetName()] = true
		}
		for _, n := range g.GetNode() {
			for _, s := range slices.Concat(n.GetInput(), n.GetOutput()) {
				used[s] = true
			}
			for _, a := range n.GetAttribute() {
				for _, sg := range subgraphs(a) {
					walk(sg)
				}
			}
		}
	}
	walk(g)
	return used
}

func subgraphs(a *onnxpb.AttributeProto) []*onnxpb.GraphProto {
	gs := a.GetGraphs()
	if a.GetG() != nil {
		gs = append([]*onnxpb.GraphProto{a.GetG()}, gs...)
	}
	return gs
}

// renameValue renames the value old to new everywhere g (and its subgraphs, which may read outer
// values) refers to it. ONNX value names are unique across nested graphs, so no scope can shadow it.
func renameValue(g *onnxpb.GraphProto, old, new string) error {
	if valueNames(g)[new] {
		return &ContractError{Field: "graph", Want: fmt.Sprintf("no value already named %q", new), Got: "one", Detail: fmt.Sprintf("cannot rename %q", old)}
	}
	var walk func(g *onnxpb.GraphProto)
	walk = func(g *onnxpb.GraphProto) {
		for _, vs := range [][]*onnxpb.ValueInfoProto{g.GetInput(), g.GetOutput(), g.GetValueInfo()} {
			for _, v := range vs {
				if v.GetName() == old {
					v.Name = proto.String(new)
				}
			}
		}
		for _, t := range g.GetInitializer() {
			if t.GetName() == old {
				t.Name = proto.String(new)
			}
		}
		for _, n := range g.GetNode() {
			for _, s := range [][]string{n.Input, n.Output} {
				for i := range s {
					if s[i] == old {
						s[i] = new
					}
				}
			}
			for _, a := range n.GetAttribute() {
				for _, sg := range subgraphs(a) {
					walk(sg)
				}
			}
		}
	}
	walk(g)
	return nil
}
