package models

import (
	"errors"
	"fmt"

	"github.com/riskmap/riskmap/models/onnxpb"
)

// ErrNotNative is wrapped when a model cannot be compiled for the native evaluator; the error
// says which node or attribute stands in the way. Such a model runs through onnxruntime.
var ErrNotNative = errors.New("not compilable for the native tree evaluator")

func notNative(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotNative, fmt.Sprintf(format, args...))
}

// nativeTree is one tree as the compiler reads it from the attributes: nodes indexed within the
// tree, branches normalised to their ONNX mode, leaves carrying one weight per output column.
type nativeTree struct {
	nodes []nativeNode
	root  int
}

type nativeNode struct {
	mode        branchMode
	feature     int
	threshold   float32
	missingTrue bool
	yes, no     int
	weights     [2]float32 // per output column (the regressor's target, or classes 0 and 1)
	weighted    [2]bool    // whether the leaf has a weight for that column
}

// finalizer turns the per-column sums of one row into the tree node's output column that the
// graph reads on: the regressor's (sum/n) + base, or a binary classifier's probability column
// as onnxruntime computes it.
type finalizer func(s0, s1 float32) float32

// compiled is a model the native evaluator runs: a forest reading the features, a finalizer and
// the chain of elementwise operators between the tree node and the "score" output.
type compiled struct {
	width   int
	columns int // 1 (a regressor or a one-class classifier) or 2 (both classes)
	trees   []nativeTree
	final   finalizer
	post    []postOp
	summary string
}

// compileNative reads m's graph and compiles it for the native evaluator when the score is a
// tree ensemble reading the features, followed only by operators whose result it can reproduce
// to float32 precision. Anything else is an error wrapping ErrNotNative that names the obstacle.
func compileNative(m *Model) (*compiled, error) {
	g := m.Proto.GetGraph()
	producer := map[string]*onnxpb.NodeProto{}
	for _, n := range g.GetNode() {
		for _, o := range n.GetOutput() {
			producer[o] = n
		}
	}
	consts := constants(g)
	var chain []*onnxpb.NodeProto // from the score back to the tree node
	cur := OutputName
	var ens *onnxpb.NodeProto
	for steps := 0; ens == nil; steps++ {
		n := producer[cur]
		if n == nil || steps > len(g.GetNode()) {
			return nil, notNative("%q is not computed from a tree ensemble", cur)
		}
		if n.GetDomain() == DomainML && (n.GetOpType() == "TreeEnsembleRegressor" || n.GetOpType() == "TreeEnsembleClassifier") {
			ens = n
			break
		}
		in, err := chainInput(n, consts)
		if err != nil {
			return nil, err
		}
		chain = append(chain, n)
		cur = in
	}
	if len(ens.GetInput()) != 1 || ens.GetInput()[0] != InputName {
		return nil, notNative("tree node %q reads %v, not %q alone", ens.GetName(), ens.GetInput(), InputName)
	}
	c := &compiled{width: len(m.Features)}
	a := attrs{}
	for _, at := range ens.GetAttribute() {
		a[at.GetName()] = at
	}
	var err error
	outCols := 1
	switch ens.GetOpType() {
	case "TreeEnsembleRegressor":
		if len(ens.GetOutput()) == 0 || cur != ens.GetOutput()[0] {
			return nil, notNative("the score does not come from the regressor's output Y")
		}
		err = c.regressor(a)
	default:
		if len(ens.GetOutput()) < 2 || cur != ens.GetOutput()[1] {
			return nil, notNative("the score does not come from the classifier's probabilities")
		}
		err = c.classifier(a)
		outCols = 2
	}
	if err != nil {
		return nil, err
	}
	// The chain runs forward, from the tree node to the score.
	col := -1 // the probabilities column selected so far; -1 while the value has outCols columns
	if outCols == 1 {
		col = 0
	}
	for i := len(chain) - 1; i >= 0; i-- {
		op, sel, err := compilePost(chain[i], consts, outCols, col)
		if err != nil {
			return nil, err
		}
		if sel >= 0 {
			col = sel
		}
		if op != nil {
			c.post = append(c.post, op)
		}
	}
	if col < 0 {
		return nil, notNative("the score keeps both classifier columns")
	}
	if outCols == 2 {
		if c.final, err = c.classifierColumn(a, col); err != nil {
			return nil, err
		}
	}
	c.summary = fmt.Sprintf("%s of %d trees, %d operators after it", ens.GetOpType(), len(c.trees), len(c.post))
	return c, nil
}

// readForest reads the nodes_* attributes into trees, with float32 thresholds as onnxruntime
// compares them (a float32 feature against a float32 threshold).
func (c *compiled) readForest(a attrs) (map[[2]int64][2]int, error) {
	for _, name := range []string{"nodes_values_as_tensor", "nodes_hitrates_as_tensor", "base_values_as_tensor", "target_weights_as_tensor", "class_weights_as_tensor"} {
		if _, ok := a[name]; ok {
			return nil, notNative("attribute %s (double precision) is not supported", name)
		}
	}
	treeIDs, nodeIDs := a.ints("nodes_treeids"), a.ints("nodes_nodeids")
	feats, yes, no := a.ints("nodes_featureids"), a.ints("nodes_truenodeids"), a.ints("nodes_falsenodeids")
	modes, values := a["nodes_modes"].GetStrings(), a["nodes_values"].GetFloats()
	missing := a.ints("nodes_missing_value_tracks_true")
	count := len(treeIDs)
	if count == 0 {
		return nil, notNative("a tree ensemble without nodes")
	}
	for name, l := range map[string]int{"nodes_nodeids": len(nodeIDs), "nodes_featureids": len(feats), "nodes_truenodeids": len(yes),
		"nodes_falsenodeids": len(no), "nodes_modes": len(modes), "nodes_values": len(values)} {
		if l != count {
			return nil, fmt.Errorf("tree ensemble: %s has %d entries, nodes_treeids %d", name, l, count)
		}
	}
	if len(missing) != 0 && len(missing) != count {
		return nil, fmt.Errorf("tree ensemble: nodes_missing_value_tracks_true has %d entries, nodes_treeids %d", len(missing), count)
	}
	at := make(map[[2]int64][2]int, count) // (tree id, node id) -> (tree index, node index)
	treeIdx := map[int64]int{}
	for i := range count {
		ti, ok := treeIdx[treeIDs[i]]
		if !ok {
			ti = len(c.trees)
			treeIdx[treeIDs[i]] = ti
			c.trees = append(c.trees, nativeTree{})
		}
		k := [2]int64{treeIDs[i], nodeIDs[i]}
		if _, dup := at[k]; dup {
			return nil, fmt.Errorf("tree ensemble: tree %d node %d appears twice", k[0], k[1])
		}
		at[k] = [2]int{ti, len(c.trees[ti].nodes)}
		mode, ok := modeNames[string(modes[i])]
		if !ok {
			return nil, notNative("node mode %q", modes[i])
		}
		nd := nativeNode{mode: mode, threshold: values[i]}
		if mode != modeLeaf {
			if feats[i] < 0 || feats[i] >= int64(c.width) {
				return nil, fmt.Errorf("tree ensemble: tree %d node %d splits on feature %d of %d", k[0], k[1], feats[i], c.width)
			}
			nd.feature = int(feats[i])
		}
		nd.missingTrue = len(missing) > 0 && missing[i] != 0
		c.trees[ti].nodes = append(c.trees[ti].nodes, nd)
	}
	for i := range count {
		p := at[[2]int64{treeIDs[i], nodeIDs[i]}]
		nd := &c.trees[p[0]].nodes[p[1]]
		if nd.mode == modeLeaf {
			continue
		}
		y, okY := at[[2]int64{treeIDs[i], yes[i]}]
		f, okF := at[[2]int64{treeIDs[i], no[i]}]
		if !okY || !okF {
			return nil, fmt.Errorf("tree ensemble: tree %d node %d points at a node the tree lacks", treeIDs[i], nodeIDs[i])
		}
		nd.yes, nd.no = y[1], f[1]
	}
	for ti := range c.trees {
		if err := c.trees[ti].findRoot(); err != nil {
			return nil, fmt.Errorf("tree ensemble: tree %d: %w", ti, err)
		}
	}
	return at, nil
}

// findRoot sets the root, the one node no branch points at, and refuses cycles and nodes the
// root does not reach.
func (t *nativeTree) findRoot() error {
	child := make([]bool, len(t.nodes))
	for _, nd := range t.nodes {
		if nd.mode != modeLeaf {
			child[nd.yes], child[nd.no] = true, true
		}
	}
	t.root = -1
	for i, c := range child {
		if !c {
			if t.root >= 0 {
				return errors.New("more than one root")
			}
			t.root = i
		}
	}
	if t.root < 0 {
		return errors.New("no root (a cycle)")
	}
	seen := make([]bool, len(t.nodes))
	stack := []int{t.root}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[i] {
			return errors.New("a node reached twice (not a tree)")
		}
		seen[i] = true
		if nd := t.nodes[i]; nd.mode != modeLeaf {
			stack = append(stack, nd.yes, nd.no)
		}
	}
	for i, s := range seen {
		if !s {
			return fmt.Errorf("node %d unreachable from the root", i)
		}
	}
	return nil
}

// leafWeights adds the prefix's (target_ or class_) weights to the leaves; column maps an id to
// an output column, or -1 to refuse it.
func (c *compiled) leafWeights(a attrs, prefix string, at map[[2]int64][2]int, column func(id int64) int) error {
	treeIDs, nodeIDs, ids := a.ints(prefix+"treeids"), a.ints(prefix+"nodeids"), a.ints(prefix+"ids")
	weights := a[prefix+"weights"].GetFloats()
	if len(nodeIDs) != len(treeIDs) || len(ids) != len(treeIDs) || len(weights) != len(treeIDs) {
		return fmt.Errorf("tree ensemble: %streeids, nodeids, ids and weights differ in length", prefix)
	}
	for i := range treeIDs {
		col := column(ids[i])
		if col < 0 {
			return notNative("%sids[%d] = %d", prefix, i, ids[i])
		}
		p, ok := at[[2]int64{treeIDs[i], nodeIDs[i]}]
		if !ok {
			return fmt.Errorf("tree ensemble: %sweights[%d] points at tree %d node %d, which does not exist", prefix, i, treeIDs[i], nodeIDs[i])
		}
		nd := &c.trees[p[0]].nodes[p[1]]
		if nd.mode != modeLeaf {
			return fmt.Errorf("tree ensemble: %sweights[%d] is on a branch node", prefix, i)
		}
		if nd.weighted[col] {
			// onnxruntime keeps a leaf's several weights for one target apart; not worth copying.
			return notNative("tree %d node %d has several weights for %s %d", treeIDs[i], nodeIDs[i], prefix[:len(prefix)-1], ids[i])
		}
		nd.weights[col], nd.weighted[col] = weights[i], true
	}
	return nil
}

// regressor compiles a TreeEnsembleRegressor with one target, SUM or AVERAGE, no post-transform.
func (c *compiled) regressor(a attrs) error {
	if n := a["n_targets"]; n != nil && n.GetI() != 1 {
		return notNative("%d targets", n.GetI())
	}
	if pt := a.str("post_transform", "NONE"); pt != "NONE" {
		return notNative("regressor post_transform %s", pt)
	}
	agg := a.str("aggregate_function", "SUM")
	if agg != "SUM" && agg != "AVERAGE" {
		return notNative("aggregate_function %s", agg)
	}
	at, err := c.readForest(a)
	if err != nil {
		return err
	}
	c.columns = 1
	if err := c.leafWeights(a, "target_", at, func(id int64) int {
		if id == 0 {
			return 0
		}
		return -1
	}); err != nil {
		return err
	}
	var base float32
	switch b := a["base_values"].GetFloats(); len(b) {
	case 0:
	case 1:
		base = b[0]
	default:
		return notNative("%d base values for one target", len(b))
	}
	if agg == "AVERAGE" {
		n := float32(len(c.trees))
		c.final = func(s, _ float32) float32 { return s/n + base }
	} else {
		c.final = func(s, _ float32) float32 { return s + base }
	}
	return nil
}
