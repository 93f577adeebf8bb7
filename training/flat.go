package training

// flatTree is a tree laid out for scoring. Its leaves point to themselves, so every row takes
// exactly depth steps without asking whether it reached a leaf, and a block of rows walks the
// tree side by side: the rows' steps are independent, so the processor overlaps them. A step
// chooses its child by integer arithmetic on order-preserving keys of the values rather than
// by a float comparison, which Go compiles to a branch that a split mispredicts half the time.
type flatTree struct {
	nodes []flatNode
	value []float32 // per node; read at leaves
	depth int
}

type flatNode struct {
	key     int64 // orderKey of the threshold: key(x) <= key goes left
	feature int32
	left    int32
	right   int32
	nanLeft int32 // -1 when a missing value goes left, else 0
}

// nanKey is the key of NaN: above every float's key, so NaN goes right unless told otherwise.
const nanKey = int64(1) << 32

func flatten(t *tree) flatTree {
	f := flatTree{nodes: make([]flatNode, len(t.nodes)), value: make([]float32, len(t.nodes)), depth: t.depth()}
	for i, n := range t.nodes {
		self := int32(i)
		if n.feature < 0 {
			f.nodes[i] = flatNode{left: self, right: self}
			f.value[i] = n.value
			continue
		}
		nd := flatNode{key: int64(orderKey(n.threshold)), feature: n.feature, left: n.left, right: n.right}
		if n.missingLeft {
			nd.nanLeft = -1
		}
		f.nodes[i] = nd
	}
	return f
}

// scoreBlock is the number of rows walked side by side.
const scoreBlock = 8

// sumLeaves sets sum[k] to the float32 sum, in tree order, of the leaf values that row k of x
// reaches (len(sum) rows, cols values each), exactly what onnxruntime's tree ensemble adds up.
func sumLeaves(trees []flatTree, x []float32, cols int, sum []float32) {
	keys := make([]int64, scoreBlock*cols)
	for lo := 0; lo < len(sum); lo += scoreBlock {
		n := min(scoreBlock, len(sum)-lo)
		for i, v := range x[lo*cols : (lo+n)*cols] {
			if v != v {
				keys[i] = nanKey
			} else {
				keys[i] = int64(orderKey(v))
			}
		}
		var acc [scoreBlock]float32
		for t := range trees {
			walkBlock(&trees[t], keys, cols, n, &acc)
		}
		copy(sum[lo:lo+n], acc[:n])
	}
}

// walkBlock adds to acc[k] the value of the leaf that row k of the block reaches in t.
func walkBlock(t *flatTree, keys []int64, cols, n int, acc *[scoreBlock]float32) {
	var at [scoreBlock]int32
	nodes := t.nodes
	for range t.depth {
		for k := range n {
			nd := &nodes[at[k]]
			kv := keys[k*cols+int(nd.feature)]
			right := (nd.key - kv) >> 63        // -1 when the value is above the threshold, or NaN
			isNaN := (nanKey - 1 - kv) >> 63    // -1 for NaN
			right &^= isNaN & int64(nd.nanLeft) // a missing value goes where the split learned
			at[k] = nd.left + int32(right)&(nd.right-nd.left)
		}
	}
	for k := range n {
		acc[k] += t.value[at[k]]
	}
}
