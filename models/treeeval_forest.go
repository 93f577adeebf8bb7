package models

import (
	"math"
)

// maxPerfectDepth bounds the padded layout: a tree deeper than this (2^depth leaves) is walked
// node by node instead.
const maxPerfectDepth = 12

// nanRightBit marks, in pnode.feat, a node that sends a missing (NaN) value to its right child.
const nanRightBit = 1 << 31

// pnode is a branch of a padded tree: "x[feat] < thr" goes left, anything else right, except
// that NaN goes where nanRightBit says. Every ONNX branch mode but EQ and NEQ normalises to this
// form with a float32 threshold (x <= t is x < nextafter(t, +Inf)) and possibly swapped children.
type pnode struct {
	thr  float32
	feat uint32
}

// perfectTree locates one padded tree: a complete binary tree of depth levels, branches in
// breadth-first order at nodes[node:], leaves at leaves[leaf:] (columns values per leaf).
type perfectTree struct {
	depth      int
	node, leaf int
}

// forest is the evaluation layout of a compiled ensemble: padded trees evaluated branch-free for
// blocks of rows, and the few trees the padding cannot express walked node by node.
type forest struct {
	width, columns int
	perfect        []perfectTree
	nodes          []pnode
	leaves         []float32
	walked         []nativeTree
}

func newForest(c *compiled) *forest {
	f := &forest{width: c.width, columns: c.columns}
	for _, t := range c.trees {
		d, ok := t.perfectDepth(t.root, 0)
		if !ok || d > maxPerfectDepth {
			f.walked = append(f.walked, t)
			continue
		}
		inner := 1<<d - 1
		pt := perfectTree{depth: d, node: len(f.nodes), leaf: len(f.leaves)}
		f.nodes = append(f.nodes, make([]pnode, inner)...)
		f.leaves = append(f.leaves, make([]float32, (inner+1)*c.columns)...)
		f.pad(&t, pt, t.root, 0, 0)
		f.perfect = append(f.perfect, pt)
	}
	return f
}

// perfectDepth is the tree's depth below i, and whether every branch normalises.
func (t *nativeTree) perfectDepth(i, level int) (int, bool) {
	nd := &t.nodes[i]
	if nd.mode == modeLeaf {
		return 0, true
	}
	if _, _, ok := normalise(nd); !ok || level > maxPerfectDepth {
		return 0, false
	}
	a, okA := t.perfectDepth(nd.yes, level+1)
	b, okB := t.perfectDepth(nd.no, level+1)
	return 1 + max(a, b), okA && okB
}

// normalise rewrites a branch as "x < thr goes left"; swap says the left child is the ONNX "no"
// child. It fails for EQ, NEQ, NaN thresholds and x <= +Inf, which the form cannot express.
func normalise(nd *nativeNode) (thr float32, swap, ok bool) {
	t := nd.threshold
	if t != t {
		return 0, false, false
	}
	switch nd.mode {
	case modeLT:
		return t, false, true
	case modeGTE:
		return t, true, true
	case modeLEQ, modeGT:
		if math.IsInf(float64(t), 1) {
			return 0, false, false
		}
		return math.Nextafter32(t, float32(math.Inf(1))), nd.mode == modeGT, true
	}
	return 0, false, false
}

// pad writes node i of t at position pos (breadth-first) of the padded tree pt; a leaf above the
// bottom fills its whole padded subtree, so that any path through it ends at its value.
func (f *forest) pad(t *nativeTree, pt perfectTree, i, pos, level int) {
	nd := &t.nodes[i]
	inner := 1<<pt.depth - 1
	if level == pt.depth {
		for c := range f.columns {
			f.leaves[pt.leaf+(pos-inner)*f.columns+c] = nd.weights[c]
		}
		return
	}
	if nd.mode == modeLeaf {
		f.nodes[pt.node+pos] = pnode{thr: 0, feat: 0}
		f.pad(t, pt, i, 2*pos+1, level+1)
		f.pad(t, pt, i, 2*pos+2, level+1)
		return
	}
	thr, swap, _ := normalise(nd)
	left, right := nd.yes, nd.no
	if swap {
		left, right = right, left
	}
	nanChild := nd.no
	if nd.missingTrue {
		nanChild = nd.yes
	}
	feat := uint32(nd.feature)
	if nanChild == right {
		feat |= nanRightBit
	}
	f.nodes[pt.node+pos] = pnode{thr: thr, feat: feat}
	f.pad(t, pt, left, 2*pos+1, level+1)
	f.pad(t, pt, right, 2*pos+2, level+1)
}

// blockRows is how many rows one pass over the trees scores: their features (40 features:
// 20 KiB) stay in L1 while every tree is walked for them.
const blockRows = 128

// b2u is 1 for true; the compiler turns it into a SETcc, not a branch.
func b2u(b bool) uint32 {
	var u uint32
	if b {
		u = 1
	}
	return u
}

// sums adds every tree's leaf weights for rows of x (row-major, f.width values each, at most
// blockRows rows) to s0 (column 0) and s1 (column 1, when f.columns is 2).
func (f *forest) sums(x []float32, rows int, s0, s1 []float32) {
	w := f.width
	x = x[:rows*w]
	s0 = s0[:rows]
	clear(s0)
	if f.columns == 2 {
		s1 = s1[:rows]
		clear(s1)
	}
	for _, pt := range f.perfect {
		inner := 1<<pt.depth - 1
		nodes := f.nodes[pt.node : pt.node+inner]
		leaves := f.leaves[pt.leaf : pt.leaf+(inner+1)*f.columns]
		r := 0
		// Four rows at a time: their walks are independent, so the CPU overlaps their loads.
		for ; r+4 <= rows; r += 4 {
			x0, x1, x2, x3 := x[r*w:r*w+w], x[(r+1)*w:(r+1)*w+w], x[(r+2)*w:(r+2)*w+w], x[(r+3)*w:(r+3)*w+w]
			var i0, i1, i2, i3 uint32
			for range pt.depth {
				n0, n1, n2, n3 := nodes[i0], nodes[i1], nodes[i2], nodes[i3]
				v0, v1, v2, v3 := x0[n0.feat&^nanRightBit], x1[n1.feat&^nanRightBit], x2[n2.feat&^nanRightBit], x3[n3.feat&^nanRightBit]
				i0 = 2*i0 + 1 + (b2u(!(v0 < n0.thr)) & (b2u(v0 == v0) | n0.feat>>31))
				i1 = 2*i1 + 1 + (b2u(!(v1 < n1.thr)) & (b2u(v1 == v1) | n1.feat>>31))
				i2 = 2*i2 + 1 + (b2u(!(v2 < n2.thr)) & (b2u(v2 == v2) | n2.feat>>31))
				i3 = 2*i3 + 1 + (b2u(!(v3 < n3.thr)) & (b2u(v3 == v3) | n3.feat>>31))
			}
			if f.columns == 1 {
				s0[r] += leaves[i0-uint32(inner)]
				s0[r+1] += leaves[i1-uint32(inner)]
				s0[r+2] += leaves[i2-uint32(inner)]
				s0[r+3] += leaves[i3-uint32(inner)]
				continue
			}
			for k, i := range [4]uint32{i0, i1, i2, i3} {
				l := (int(i) - inner) * 2
				s0[r+k] += leaves[l]
				s1[r+k] += leaves[l+1]
			}
		}
		for ; r < rows; r++ {
			xr := x[r*w : r*w+w]
			var i uint32
			for range pt.depth {
				n := nodes[i]
				v := xr[n.feat&^nanRightBit]
				i = 2*i + 1 + (b2u(!(v < n.thr)) & (b2u(v == v) | n.feat>>31))
			}
			l := (int(i) - inner) * f.columns
			s0[r] += leaves[l]
			if f.columns == 2 {
				s1[r] += leaves[l+1]
			}
		}
	}
	for ti := range f.walked {
		t := &f.walked[ti]
		for r := range rows {
			nd := t.walk(x[r*w : r*w+w])
			s0[r] += nd.weights[0]
			if f.columns == 2 {
				s1[r] += nd.weights[1]
			}
		}
	}
}

// walk follows row from the root to its leaf, deciding each branch as onnxruntime does: the mode's
// comparison of float32 feature and threshold, or missingTrue for NaN.
func (t *nativeTree) walk(row []float32) *nativeNode {
	nd := &t.nodes[t.root]
	for nd.mode != modeLeaf {
		v, th := row[nd.feature], nd.threshold
		var yes bool
		switch nd.mode {
		case modeLEQ:
			yes = v <= th
		case modeLT:
			yes = v < th
		case modeGTE:
			yes = v >= th
		case modeGT:
			yes = v > th
		case modeEQ:
			yes = v == th
		case modeNEQ:
			yes = v != th
		}
		if yes || (v != v && nd.missingTrue) {
			nd = &t.nodes[nd.yes]
		} else {
			nd = &t.nodes[nd.no]
		}
	}
	return nd
}
