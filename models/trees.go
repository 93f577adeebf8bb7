package models

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/riskmap/riskmap/models/onnxpb"
)

// errNoTrees says a model is not a tree ensemble Saabas can walk; the caller falls back to
// perturbation.
var errNoTrees = errors.New("no tree ensemble reading the features directly")

type branchMode uint8

const (
	modeLeaf branchMode = iota
	modeLEQ
	modeLT
	modeGTE
	modeGT
	modeEQ
	modeNEQ
)

var modeNames = map[string]branchMode{
	"LEAF": modeLeaf, "BRANCH_LEQ": modeLEQ, "BRANCH_LT": modeLT, "BRANCH_GTE": modeGTE,
	"BRANCH_GT": modeGT, "BRANCH_EQ": modeEQ, "BRANCH_NEQ": modeNEQ,
}

type treeNode struct {
	mode        branchMode
	feature     int
	threshold   float64
	missingTrue bool
	yes, no     int // indexes into the tree's nodes
	cover       float64
	value       float64 // the leaf's weight, or the cover-weighted mean of the children's values
}

type tree struct {
	nodes []treeNode
	root  int
}

// treeEnsemble is a TreeEnsembleRegressor or TreeEnsembleClassifier read out of its attributes,
// for the one target (the regressor's, or the classifier's positive class) that makes the score.
type treeEnsemble struct {
	trees   []tree
	base    float64
	average bool // AVERAGE aggregation: every tree's share is divided by len(trees)
}

// findTrees returns the graph's tree ensemble when it alone reads the features, so that its margin
// decomposes the score; errNoTrees otherwise.
func findTrees(m *Model) (*treeEnsemble, error) {
	var ens *onnxpb.NodeProto
	for _, n := range m.Proto.GetGraph().GetNode() {
		isTrees := n.GetDomain() == DomainML && (n.GetOpType() == "TreeEnsembleRegressor" || n.GetOpType() == "TreeEnsembleClassifier")
		reads := false
		for _, in := range n.GetInput() {
			reads = reads || in == InputName
		}
		switch {
		case isTrees && ens != nil:
			return nil, fmt.Errorf("%w: more than one tree ensemble", errNoTrees)
		case isTrees && reads && len(n.GetInput()) == 1:
			ens = n
		case reads:
			return nil, fmt.Errorf("%w: node %q (%s) also reads %q", errNoTrees, n.GetName(), n.GetOpType(), InputName)
		}
	}
	if ens == nil {
		return nil, errNoTrees
	}
	return readTrees(ens, len(m.Features))
}

type attrs map[string]*onnxpb.AttributeProto

func (a attrs) ints(name string) []int64 { return a[name].GetInts() }

// floats reads a FLOATS attribute or its *_as_tensor double twin.
func (a attrs) floats(name string) []float64 {
	if at, ok := a[name]; ok {
		out := make([]float64, len(at.GetFloats()))
		for i, v := range at.GetFloats() {
			out[i] = float64(v)
		}
		return out
	}
	t := a[name+"_as_tensor"].GetT()
	if t == nil {
		return nil
	}
	if len(t.GetDoubleData()) > 0 {
		return t.GetDoubleData()
	}
	if len(t.GetFloatData()) > 0 {
		out := make([]float64, len(t.GetFloatData()))
		for i, v := range t.GetFloatData() {
			out[i] = float64(v)
		}
		return out
	}
	raw := t.GetRawData()
	switch onnxpb.TensorProto_DataType(t.GetDataType()) {
	case onnxpb.TensorProto_DOUBLE:
		out := make([]float64, len(raw)/8)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[i*8:]))
		}
		return out
	case onnxpb.TensorProto_FLOAT:
		out := make([]float64, len(raw)/4)
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i*4:])))
		}
		return out
	}
	return nil
}

func (a attrs) str(name, def string) string {
	if at, ok := a[name]; ok {
		return string(at.GetS())
	}
	return def
}

func readTrees(n *onnxpb.NodeProto, width int) (*treeEnsemble, error) {
	a := attrs{}
	for _, at := range n.GetAttribute() {
		a[at.GetName()] = at
	}
	switch agg := a.str("aggregate_function", "SUM"); agg {
	case "SUM", "AVERAGE":
	default:
		return nil, fmt.Errorf("%w: aggregate_function %s does not decompose", errNoTrees, agg)
	}
	treeIDs, nodeIDs := a.ints("nodes_treeids"), a.ints("nodes_nodeids")
	feats, yes, no := a.ints("nodes_featureids"), a.ints("nodes_truenodeids"), a.ints("nodes_falsenodeids")
	modes, values := a["nodes_modes"].GetStrings(), a.floats("nodes_values")
	missing, hits := a.ints("nodes_missing_value_tracks_true"), a.floats("nodes_hitrates")
	count := len(treeIDs)
	for name, l := range map[string]int{"nodes_nodeids": len(nodeIDs), "nodes_featureids": len(feats), "nodes_truenodeids": len(yes),
		"nodes_falsenodeids": len(no), "nodes_modes": len(modes), "nodes_values": len(values)} {
		if l != count {
			return nil, fmt.Errorf("tree ensemble: %s has %d entries, nodes_treeids %d", name, l, count)
		}
	}
	if (len(missing) != 0 && len(missing) != count) || (len(hits) != 0 && len(hits) != count) {
		return nil, fmt.Errorf("tree ensemble: missing_value_tracks_true or hitrates length differs from %d nodes", count)
	}
	// Index nodes by tree, in attribute order.
	type key struct{ tree, node int64 }
	at := make(map[key]int, count) // -> index within its tree
	treeIdx := map[int64]int{}
	ens := &treeEnsemble{average: a.str("aggregate_function", "SUM") == "AVERAGE"}
	for i := range count {
		ti, ok := treeIdx[treeIDs[i]]
		if !ok {
			ti = len(ens.trees)
			treeIdx[treeIDs[i]] = ti
			ens.trees = append(ens.trees, tree{})
		}
		k := key{treeIDs[i], nodeIDs[i]}
		if _, dup := at[k]; dup {
			return nil, fmt.Errorf("tree ensemble: tree %d node %d appears twice", k.tree, k.node)
		}
		at[k] = len(ens.trees[ti].nodes)
		mode, ok := modeNames[string(modes[i])]
		if !ok {
			return nil, fmt.Errorf("%w: node mode %q", errNoTrees, modes[i])
		}
		nd := treeNode{mode: mode, threshold: values[i]}
		if mode != modeLeaf {
			if feats[i] < 0 || feats[i] >= int64(width) {
				return nil, fmt.Errorf("tree ensemble: tree %d node %d splits on feature %d of %d", k.tree, k.node, feats[i], width)
			}
			nd.feature = int(feats[i])
		}
		if len(missing) > 0 {
			nd.missingTrue = missing[i] != 0
		}
		if len(hits) > 0 {
			nd.cover = hits[i]
		}
		ens.trees[ti].nodes = append(ens.trees[ti].nodes, nd)
	}
	// Children and roots.
	for i := range count {
		ti := treeIdx[treeIDs[i]]
		nd := &ens.trees[ti].nodes[at[key{treeIDs[i], nodeIDs[i]}]]
		if nd.mode == modeLeaf {
			continue
		}
		y, okY := at[key{treeIDs[i], yes[i]}]
		f, okF := at[key{treeIDs[i], no[i]}]
		if !okY || !okF {
			return nil, fmt.Errorf("tree ensemble: tree %d node %d points at a node the tree lacks", treeIDs[i], nodeIDs[i])
		}
		nd.yes, nd.no = y, f
	}
	for ti := range ens.trees {
		child := make([]bool, len(ens.trees[ti].nodes))
		for _, nd := range ens.trees[ti].nodes {
			if nd.mode != modeLeaf {
				child[nd.yes], child[nd.no] = true, true
			}
		}
		root := -1
		for i, c := range child {
			if !c {
				if root >= 0 {
					return nil, fmt.Errorf("tree ensemble: tree %d has more than one root", ti)
				}
				root = i
			}
		}
		if root < 0 {
			return nil, fmt.Errorf("tree ensemble: tree %d has no root (a cycle)", ti)
		}
		ens.trees[ti].root = root
	}
	lookup := func(t, nd int64) (int, int, bool) {
		i, ok := at[key{t, nd}]
		return treeIdx[t], i, ok
	}
	if err := readLeaves(n.GetOpType(), a, ens, lookup); err != nil {
		return nil, err
	}
	for ti := range ens.trees {
		if err := ens.trees[ti].settle(); err != nil {
			return nil, fmt.Errorf("tree ensemble: tree %d: %w", ti, err)
		}
	}
	return ens, nil
}

// readLeaves adds the weights of the scoring target to the leaves, and the base value.
// lookup maps (tree id, node id) to (tree index, node index).
func readLeaves(op string, a attrs, ens *treeEnsemble, lookup func(tree, node int64) (int, int, bool)) error {
	prefix, want := "target_", int64(0)
	base := a.floats("base_values")
	if op == "TreeEnsembleClassifier" {
		// onnxruntime (1.24) reads a binary classifier whose weights are all for one class as the
		// positive class' margin, whichever class id they carry; it adds a single base value only
		// to class 0's weights and drops the weights altogether next to two base values. Only the
		// layouts whose margin is certain are walked; the rest are explained by perturbation.
		prefix = "class_"
		classes := max(len(a["classlabels_int64s"].GetInts()), len(a["classlabels_strings"].GetStrings()))
		ids := map[int64]bool{}
		for _, c := range a.ints("class_ids") {
			ids[c] = true
		}
		if classes != 2 || len(ids) != 1 {
			return fmt.Errorf("%w: a classifier with %d classes and weights for %d of them", errNoTrees, classes, len(ids))
		}
		for c := range ids {
			want = c
		}
		if !(len(base) == 0 || len(base) == 1 && want == 0) {
			return fmt.Errorf("%w: a binary classifier with %d base values for class %d", errNoTrees, len(base), want)
		}
	} else if n := a["n_targets"]; n != nil && n.GetI() != 1 {
		return fmt.Errorf("%w: %d targets", errNoTrees, n.GetI())
	}
	treeIDs, nodeIDs, ids := a.ints(prefix+"treeids"), a.ints(prefix+"nodeids"), a.ints(prefix+"ids")
	weights := a.floats(prefix + "weights")
	if len(nodeIDs) != len(treeIDs) || len(ids) != len(treeIDs) || len(weights) != len(treeIDs) {
		return fmt.Errorf("tree ensemble: %streeids, nodeids, ids and weights differ in length", prefix)
	}
	for i := range treeIDs {
		if ids[i] != want {
			continue
		}
		ti, ni, ok := lookup(treeIDs[i], nodeIDs[i])
		if !ok {
			return fmt.Errorf("tree ensemble: %sweights[%d] points at tree %d node %d, which does not exist", prefix, i, treeIDs[i], nodeIDs[i])
		}
		nd := &ens.trees[ti].nodes[ni]
		if nd.mode != modeLeaf {
			return fmt.Errorf("tree ensemble: %sweights[%d] is on a branch node", prefix, i)
		}
		nd.value += weights[i]
	}
	if len(base) == 1 {
		ens.base = base[0]
	}
	return nil
}

// settle computes every branch's value, the cover-weighted mean of its children's (equal weights
// where the covers are missing or zero), from the leaves up.
func (t *tree) settle() error {
	const (
		unseen = iota
		open
		done
	)
	state := make([]uint8, len(t.nodes))
	var visit func(i, depth int) error
	visit = func(i, depth int) error {
		switch {
		case state[i] == done:
			return nil
		case state[i] == open || depth > len(t.nodes):
			return errors.New("a cycle")
		}
		nd := &t.nodes[i]
		if nd.mode == modeLeaf {
			state[i] = done
			return nil
		}
		state[i] = open
		if err := visit(nd.yes, depth+1); err != nil {
			return err
		}
		if err := visit(nd.no, depth+1); err != nil {
			return err
		}
		y, n := t.nodes[nd.yes], t.nodes[nd.no]
		wy, wn := y.cover, n.cover
		if !(wy > 0 && wn >= 0 || wn > 0 && wy >= 0) { // absent, zero, negative or NaN covers
			wy, wn = 1, 1
		}
		nd.value = (wy*y.value + wn*n.value) / (wy + wn)
		state[i] = done
		return nil
	}
	if err := visit(t.root, 0); err != nil {
		return err
	}
	if n := len(t.nodes) - bytes.Count(state, []byte{done}); n > 0 {
		return fmt.Errorf("%d nodes unreachable from the root", n)
	}
	return nil
}

// next is the child a value x takes at a branch, as onnxruntime decides it.
func (nd *treeNode) next(x float32) int {
	v := float64(x)
	if math.IsNaN(v) && nd.missingTrue {
		return nd.yes
	}
	var yes bool
	switch nd.mode {
	case modeLEQ:
		yes = v <= nd.threshold
	case modeLT:
		yes = v < nd.threshold
	case modeGTE:
		yes = v >= nd.threshold
	case modeGT:
		yes = v > nd.threshold
	case modeEQ:
		yes = v == nd.threshold
	case modeNEQ:
		yes = v != nd.threshold
	}
	if yes {
		return nd.yes
	}
	return nd.no
}

// saabas adds each split's change of value along row's decision paths to contrib (len width) and
// returns the expected margin (the roots' values plus the base) and the row's margin.
func (e *treeEnsemble) saabas(row []float32, contrib []float64) (base, margin float64) {
	scale := 1.0
	if e.average && len(e.trees) > 0 {
		scale = 1 / float64(len(e.trees))
	}
	base, margin = e.base, e.base
	for ti := range e.trees {
		t := &e.trees[ti]
		i := t.root
		base += scale * t.nodes[i].value
		for steps := 0; t.nodes[i].mode != modeLeaf && steps <= len(t.nodes); steps++ {
			nd := &t.nodes[i]
			c := nd.next(row[nd.feature])
			contrib[nd.feature] += scale * (t.nodes[c].value - nd.value)
			i = c
		}
		margin += scale * t.nodes[i].value
	}
	return base, margin
}
