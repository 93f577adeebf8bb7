package models

import (
	"encoding/binary"
	"math"

	"github.com/riskmap/riskmap/models/onnxpb"
)

// postOp is one elementwise operator between the tree node and the score, applied in place.
type postOp func(v []float32)

// constants collects the graph's constant tensors (initializers and Constant nodes) by name.
func constants(g *onnxpb.GraphProto) map[string]*onnxpb.TensorProto {
	out := map[string]*onnxpb.TensorProto{}
	for _, t := range g.GetInitializer() {
		out[t.GetName()] = t
	}
	for _, n := range g.GetNode() {
		if n.GetOpType() != "Constant" || (n.GetDomain() != "" && n.GetDomain() != DomainONNX) || len(n.GetOutput()) != 1 {
			continue
		}
		for _, a := range n.GetAttribute() {
			if a.GetName() == "value" && a.GetT() != nil {
				out[n.GetOutput()[0]] = a.GetT()
			}
		}
	}
	return out
}

// scalarFloat reads a one-element float32 constant.
func scalarFloat(t *onnxpb.TensorProto) (float32, bool) {
	if t == nil || onnxpb.TensorProto_DataType(t.GetDataType()) != onnxpb.TensorProto_FLOAT {
		return 0, false
	}
	n := int64(1)
	for _, d := range t.GetDims() {
		n *= d
	}
	if n != 1 {
		return 0, false
	}
	if len(t.GetFloatData()) == 1 {
		return t.GetFloatData()[0], true
	}
	if raw := t.GetRawData(); len(raw) == 4 {
		return math.Float32frombits(binary.LittleEndian.Uint32(raw)), true
	}
	return 0, false
}

// int64s reads an int64 constant.
func int64s(t *onnxpb.TensorProto) ([]int64, bool) {
	if t == nil || onnxpb.TensorProto_DataType(t.GetDataType()) != onnxpb.TensorProto_INT64 {
		return nil, false
	}
	if len(t.GetInt64Data()) > 0 {
		return t.GetInt64Data(), true
	}
	raw := t.GetRawData()
	out := make([]int64, len(raw)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(raw[i*8:]))
	}
	return out, len(raw)%8 == 0
}

// chainInput returns the one non-constant input of a node on the path from the tree node to the
// score, refusing operators the native evaluator does not reproduce.
func chainInput(n *onnxpb.NodeProto, consts map[string]*onnxpb.TensorProto) (string, error) {
	if d := n.GetDomain(); d != "" && d != DomainONNX {
		return "", notNative("operator %s.%s (node %q)", d, n.GetOpType(), n.GetName())
	}
	var live []string
	for _, in := range n.GetInput() {
		if in != "" && consts[in] == nil {
			live = append(live, in)
		}
	}
	if len(live) != 1 {
		return "", notNative("node %q (%s) combines %d computed values", n.GetName(), n.GetOpType(), len(live))
	}
	return live[0], nil
}

// compilePost compiles one chain node. cols is the tree node's output width and col the column
// selected so far (-1: none yet). It returns the operator (nil for a pure selection or identity)
// and the column a Slice selects (-1 when the node selects none).
func compilePost(n *onnxpb.NodeProto, consts map[string]*onnxpb.TensorProto, cols, col int) (postOp, int, error) {
	in := n.GetInput()
	op := n.GetOpType()
	if col < 0 && op != "Slice" && op != "Identity" && op != "Cast" {
		// Before a column is picked, only selection keeps the two classes apart simply.
		return nil, -1, notNative("%s (node %q) on both classifier columns", op, n.GetName())
	}
	switch op {
	case "Identity":
		return nil, -1, nil
	case "Cast":
		for _, a := range n.GetAttribute() {
			if a.GetName() == "to" && a.GetI() == int64(onnxpb.TensorProto_FLOAT) {
				return nil, -1, nil
			}
		}
		return nil, -1, notNative("Cast (node %q) to a type other than float32", n.GetName())
	case "Sigmoid":
		return func(v []float32) {
			for i, x := range v {
				v[i] = float32(1 / (1 + math.Exp(-float64(x))))
			}
		}, -1, nil
	case "Neg":
		return func(v []float32) {
			for i, x := range v {
				v[i] = -x
			}
		}, -1, nil
	case "Exp":
		return func(v []float32) {
			for i, x := range v {
				v[i] = float32(math.Exp(float64(x)))
			}
		}, -1, nil
	case "Add", "Sub", "Mul", "Div", "Pow":
		if len(in) != 2 {
			return nil, -1, notNative("%s (node %q) with %d inputs", op, n.GetName(), len(in))
		}
		constLeft := consts[in[0]] != nil
		k, ok := scalarFloat(consts[in[1]])
		if constLeft {
			k, ok = scalarFloat(consts[in[0]])
		}
		if !ok {
			return nil, -1, notNative("%s (node %q) with an operand that is not a float32 scalar constant", op, n.GetName())
		}
		return binaryOp(op, k, constLeft), -1, nil
	case "Slice":
		if col >= 0 || cols != 2 {
			return nil, -1, notNative("Slice (node %q) of a single column", n.GetName())
		}
		if len(in) < 3 {
			return nil, -1, notNative("Slice (node %q) without starts and ends", n.GetName())
		}
		get := func(i int, def []int64) ([]int64, bool) {
			if i >= len(in) || in[i] == "" {
				return def, def != nil
			}
			return int64s(consts[in[i]])
		}
		starts, ok1 := get(1, nil)
		ends, ok2 := get(2, nil)
		axes, ok3 := get(3, []int64{0})
		steps, ok4 := get(4, []int64{1})
		if !(ok1 && ok2 && ok3 && ok4) || len(starts) != 1 || len(ends) != 1 || len(axes) != 1 || len(steps) != 1 ||
			(axes[0] != 1 && axes[0] != -1) || steps[0] != 1 {
			return nil, -1, notNative("Slice (node %q) other than one column of axis 1", n.GetName())
		}
		s, e := starts[0], ends[0]
		if s < 0 {
			s += int64(cols)
		}
		if e < 0 {
			e += int64(cols)
		}
		e = min(e, int64(cols))
		if s < 0 || s >= int64(cols) || e != s+1 {
			return nil, -1, notNative("Slice (node %q) selecting columns %d..%d", n.GetName(), starts[0], ends[0])
		}
		return nil, int(s), nil
	}
	return nil, -1, notNative("operator %s (node %q)", op, n.GetName())
}

// binaryOp is v op k, or k op v when constLeft, in float32 (Pow through float64, rounded).
func binaryOp(op string, k float32, constLeft bool) postOp {
	switch op {
	case "Add":
		return func(v []float32) {
			for i := range v {
				v[i] += k
			}
		}
	case "Mul":
		return func(v []float32) {
			for i := range v {
				v[i] *= k
			}
		}
	case "Sub":
		if constLeft {
			return func(v []float32) {
				for i := range v {
					v[i] = k - v[i]
				}
			}
		}
		return func(v []float32) {
			for i := range v {
				v[i] -= k
			}
		}
	case "Div":
		if constLeft {
			return func(v []float32) {
				for i := range v {
					v[i] = k / v[i]
				}
			}
		}
		return func(v []float32) {
			for i := range v {
				v[i] /= k
			}
		}
	}
	// Pow
	if constLeft {
		return func(v []float32) {
			for i := range v {
				v[i] = float32(math.Pow(float64(k), float64(v[i])))
			}
		}
	}
	return func(v []float32) {
		for i := range v {
			v[i] = float32(math.Pow(float64(v[i]), float64(k)))
		}
	}
}
