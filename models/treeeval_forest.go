package models

import (
	"math"
	"unsafe"
)

// maxPerfectDepth bounds the padded layout: a tree deeper than this (2^depth leaves) is walked
// node by node instead.
const maxPerfectDepth = 12

// pnode is a branch of a padded tree: "key[feat] < thr" goes left, anything else right.
//
// Every ONNX branch mode but EQ and NEQ normalises to "x < t goes left" with a float32 threshold
// (x <= t is x < nextafter(t, +Inf)) and possibly swapped children. The float comparison then
// becomes an unsigned one on order-preserving keys (see orderKey), and the NaN rule disappears
// into the keys: each row carries its features twice, NaN keyed above every threshold in the first
// copy (NaN goes right) and below every threshold in the second (NaN goes left); feat indexes the
// copy the node's NaN rule wants. One load, one compare, no branch.
type pnode struct {
	thr  uint32
	feat uint32
}

// orderKey maps a float32 to a uint32 that sorts as the float does: -Inf < ... < -0 < +0 < ...
// < +Inf. NaN is the caller's business.
func orderKey(v float32) uint32 {
	b := math.Float32bits(v)
	return b ^ (uint32(int32(b)>>31) | 1<<31)
}

// thresholdKey is the key of a normalised threshold t: x < t for float x exactly when
// orderKey(x) < thresholdKey(t). Both zeros compare equal as floats, so t = ±0 takes -0's key,
// the lower one.
func thresholdKey(t float32) uint32 {
	if t == 0 {
		return orderKey(float32(math.Copysign(0, -1)))
	}
	return orderKey(t)
}

// NaN keys: above every threshold key (the largest non-NaN key is +Inf's, 0xFF800000), or below
// every one (the smallest is -Inf's, 0x007FFFFF).
const (
	nanHigh uint32 = math.MaxUint32
	nanLow  uint32 = 0
)

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
		f.nodes[pt.node+pos] = pnode{}
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
	if nanChild == left {
		feat += uint32(f.width) // the copy whose NaN keys sort low
	}
	f.nodes[pt.node+pos] = pnode{thr: thresholdKey(thr), feat: feat * group * 4} // a byte offset in a group's keys
	f.pad(t, pt, left, 2*pos+1, level+1)
	f.pad(t, pt, right, 2*pos+2, level+1)
}

// blockRows is how many rows one pass over the trees scores: their keys (2 × 40 features ×
// 4 bytes × 64 rows: 20 KiB) stay in L1 while every tree is walked for them.
const blockRows = 64

// group is how many rows walk a tree together, their walks interleaved so that the CPU overlaps
// their loads. Their keys lie feature by feature, group values each, so that one base pointer and
// a constant displacement reach any row's key.
const group = 8

// keysLen is the scratch keys needs for a block.
func keysLen(w int) int { return blockRows * 2 * w }

// keys writes rows of x as the padded trees read them: per group of rows, each of the width
// features' orderKey with NaN high, then each again with NaN low. A last partial group is padded
// with zero keys, which lead to some leaf that nobody reads.
func keys(x []float32, rows, w int, k []uint32) {
	gw := 2 * w * group
	k = k[:(rows+group-1)/group*gw]
	for r := range rows {
		xr := x[r*w : r*w+w]
		g := k[r/group*gw:]
		o := r % group
		for f, v := range xr {
			kv := orderKey(v)
			h, l := kv, kv
			if v != v {
				h, l = nanHigh, nanLow
			}
			g[f*group+o], g[(w+f)*group+o] = h, l
		}
	}
	if tail := rows % group; tail != 0 {
		g := k[rows/group*gw:]
		for f := range 2 * w {
			clear(g[f*group+tail : f*group+group])
		}
	}
}

// sums adds every tree's leaf weights for rows of x (row-major, f.width values each, at most
// blockRows rows) to s0 (column 0) and s1 (column 1, when f.columns is 2). k is scratch for the
// keys, keysLen long.
func (f *forest) sums(x []float32, rows int, s0, s1 []float32, k []uint32) {
	w := f.width
	x = x[:rows*w]
	s0 = s0[:rows]
	clear(s0)
	if f.columns == 2 {
		s1 = s1[:rows]
		clear(s1)
	}
	if rows == 0 {
		return
	}
	groups := (rows + group - 1) / group
	if len(f.perfect) > 0 {
		keys(x, rows, w, k)
	}
	var idx [blockRows]uint32
	for _, pt := range f.perfect {
		inner := 1<<pt.depth - 1
		nodes := f.nodes[pt.node : pt.node+inner]
		leaves := f.leaves[pt.leaf : pt.leaf+(inner+1)*f.columns]
		walk8(k[:groups*2*w*group], 2*w*group, groups, pt.depth, nodes, idx[:groups*group])
		if f.columns == 1 {
			for r := range s0 {
				s0[r] += leaves[int(idx[r])-inner]
			}
			continue
		}
		for r := range s0 {
			l := (int(idx[r]) - inner) * 2
			s0[r] += leaves[l]
			s1[r] += leaves[l+1]
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

// b2u is 1 for true; the compiler turns it into a SETcc, not a branch.
func b2u(b bool) uint32 {
	var u uint32
	if b {
		u = 1
	}
	return u
}

// step takes one branch of a padded tree for the row at byte offset o of the group whose keys
// start at keys: from node i to its child.
func step(nodes, keys unsafe.Pointer, i uint32, o uintptr) uint32 {
	n := (*pnode)(unsafe.Add(nodes, uintptr(i)*8))
	return 2*i + 1 + b2u(*(*uint32)(unsafe.Add(keys, uintptr(n.feat)+o)) >= n.thr)
}

// walk8 walks one padded tree for groups groups of rows, eight rows at once, and writes each
// row's final node index (inner nodes + leaf) to idx. The loads skip bounds checks: newForest
// checked every feature offset against the width, a node index stays below len(nodes) for depth
// levels, and k holds groups*gw keys.
func walk8(k []uint32, gw, groups, depth int, nodes []pnode, idx []uint32) {
	if len(nodes) != 1<<depth-1 || len(k) != groups*gw || len(idx) != groups*group {
		panic("walk8: inconsistent layout") // an internal error, never input
	}
	np := unsafe.Pointer(unsafe.SliceData(nodes))
	for g := range groups {
		p := unsafe.Pointer(&k[g*gw])
		var i0, i1, i2, i3, i4, i5, i6, i7 uint32
		for range depth {
			i0 = step(np, p, i0, 0)
			i1 = step(np, p, i1, 4)
			i2 = step(np, p, i2, 8)
			i3 = step(np, p, i3, 12)
			i4 = step(np, p, i4, 16)
			i5 = step(np, p, i5, 20)
			i6 = step(np, p, i6, 24)
			i7 = step(np, p, i7, 28)
		}
		out := idx[g*group : g*group+group : g*group+group]
		out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7] = i0, i1, i2, i3, i4, i5, i6, i7
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
