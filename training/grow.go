package training

import (
	"cmp"
	"math"
)

// grower grows one boosting tree from binned data. It owns the buffers that every round reuses:
// the row index, whose segments are the nodes' rows, and a pool of histograms.
type grower struct {
	codes     []uint8 // row-major codes, for histograms
	colCodes  []uint8 // column-major codes, for partitions: one feature's codes lie together
	rows      int
	cols      int
	bn        *binner
	hb        *histBuilder
	threads   int
	maxDepth  int
	maxLeaves int
	lr        float64
	minSplit  int      // least segment partitioned by several goroutines
	index     []uint32 // the rows of the tree being grown; node segments partition it
	scratch   []uint32
	pool      []histogram
}

// leafState is a leaf of the tree being grown: its rows are index[begin:end].
type leafState struct {
	node       int32
	begin, end int
	depth      int
	sum        gpair
	hist       histogram // nil once it cannot be split
	split      split
}

func newGrower(codes []uint8, rows, cols int, bn *binner, cfg GBDTConfig, threads int) *grower {
	g := &grower{
		codes: codes, rows: rows, cols: cols, bn: bn, threads: threads,
		hb:       newHistBuilder(codes, cols, threads, cmp.Or(cfg.parallelMin, parallelRows)),
		maxDepth: cfg.MaxDepth, maxLeaves: cfg.MaxLeaves, lr: cfg.LearningRate,
		minSplit: cmp.Or(cfg.parallelMin, partitionParallelRows),
		index:    make([]uint32, rows),
		scratch:  make([]uint32, rows),
		colCodes: make([]uint8, len(codes)),
	}
	parallelChunks(cols, threads, func(_, lo, hi int) {
		for f := lo; f < hi; f++ {
			col := g.colCodes[f*rows : (f+1)*rows]
			for r := range col {
				col[r] = codes[r*cols+f]
			}
		}
	})
	return g
}

func (g *grower) getHist() histogram {
	if k := len(g.pool); k > 0 {
		h := g.pool[k-1]
		g.pool = g.pool[:k-1]
		return h
	}
	return newHistogram(g.cols)
}

func (g *grower) putHist(h histogram) {
	if h != nil {
		g.pool = append(g.pool, h)
	}
}

// grow fits one tree to the gradients of the rows in sample (nil: every row, in order) and
// returns it with its leaves, whose index segments say which rows each leaf holds.
func (g *grower) grow(grad []rowGrad, sample []uint32, allowed []int, sp *splitParams) (tree, []leafState) {
	n := g.rows
	if sample != nil {
		n = copy(g.index, sample)
	} else {
		for i := range g.index {
			g.index[i] = uint32(i)
		}
	}
	rootHist := g.getHist()
	if sample == nil {
		g.hb.build(rootHist, grad, nil, n)
	} else {
		g.hb.build(rootHist, grad, g.index[:n], 0)
	}
	var total gpair
	for _, p := range rootHist[0] {
		total = total.add(p)
	}
	t := tree{nodes: []node{{feature: -1, cover: float64(total.h) / sp.hScale}}}
	root := leafState{node: 0, begin: 0, end: n, sum: total, hist: rootHist}
	root.split = findSplit(rootHist, total, allowed, g.bn, sp)
	leaves := []leafState{root}

	for g.maxLeaves == 0 || len(leaves) < g.maxLeaves {
		best := -1
		for i := range leaves {
			s := &leaves[i].split
			if s.valid() && (best < 0 || s.gain > leaves[best].split.gain) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		l, r := g.apply(&t, leaves[best], grad, allowed, sp)
		leaves[best] = l
		leaves = append(leaves, r)
	}
	for i := range leaves {
		g.putHist(leaves[i].hist)
		leaves[i].hist = nil
		v := sp.leafValue(leaves[i].sum) * g.lr
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0 // no hessian and no L2: nothing to step on
		}
		t.nodes[leaves[i].node].value = float32(v)
	}
	return t, leaves
}

// apply makes leaf c's split: it turns c's node into a split, partitions c's rows and returns
// the two new leaves, with histograms and best splits when they may be split further.
func (g *grower) apply(t *tree, c leafState, grad []rowGrad, allowed []int, sp *splitParams) (leafState, leafState) {
	s := c.split
	li, ri := int32(len(t.nodes)), int32(len(t.nodes)+1)
	nd := &t.nodes[c.node]
	nd.feature, nd.threshold, nd.bin = int32(s.feature), s.threshold(g.bn), uint8(s.bin)
	nd.missingLeft, nd.left, nd.right, nd.gain = s.missingLeft, li, ri, s.gain

	nLeft := g.partition(c.begin, c.end, s)
	l := leafState{node: li, begin: c.begin, end: c.begin + nLeft, depth: c.depth + 1, sum: s.left}
	r := leafState{node: ri, begin: c.begin + nLeft, end: c.end, depth: c.depth + 1, sum: s.right}
	t.nodes = append(t.nodes,
		node{feature: -1, cover: float64(s.left.h) / sp.hScale},
		node{feature: -1, cover: float64(s.right.h) / sp.hScale})

	if c.depth+1 >= g.maxDepth {
		g.putHist(c.hist)
		l.split.feature, r.split.feature = -1, -1
		return l, r
	}
	// Build the smaller child's histogram from its rows; the larger child's is its parent's
	// minus the smaller, computed in the parent's buffer.
	small, large := &l, &r
	if r.end-r.begin < l.end-l.begin {
		small, large = &r, &l
	}
	small.hist = g.getHist()
	g.hb.build(small.hist, grad, g.index[small.begin:small.end], 0)
	large.hist = c.hist
	for f := range large.hist {
		p, q := &large.hist[f], &small.hist[f]
		for i := range p {
			p[i] = p[i].sub(q[i])
		}
	}
	// The two searches are independent; with two goroutines the second core is not idle.
	parallelFor(2, g.threads, func(i int) {
		c := [2]*leafState{&l, &r}[i]
		c.split = findSplit(c.hist, c.sum, allowed, g.bn, sp)
	})
	return l, r
}

// partitionParallelRows is the least segment worth partitioning with several goroutines.
const partitionParallelRows = 1 << 16

// partition reorders index[begin:end] stably so the rows that go left come first, and returns
// how many go left. A stable partition has one result, so chunking cannot change it.
func (g *grower) partition(begin, end int, s split) int {
	seg := g.index[begin:end]
	col := g.colCodes[s.feature*g.rows : (s.feature+1)*g.rows]
	// goes[c] is 1 when code c goes left: a table lookup keeps the loop free of branches,
	// which a split near the middle would mispredict half the time.
	var goes [256]uint8
	for c := 0; c <= s.bin; c++ {
		goes[c] = 1
	}
	if s.missingLeft {
		goes[missingBin] = 1
	}
	// Each chunk compacts its left rows in place and copies its right rows to scratch.
	threads := min(g.threads, max(len(seg)/g.minSplit, 1))
	nl := make([]int, threads)
	bounds := make([][2]int, threads)
	parallelChunks(len(seg), threads, func(t, lo, hi int) {
		bounds[t] = [2]int{lo, hi}
		k, j := lo, lo
		tmp := g.scratch[begin:end]
		for _, r := range seg[lo:hi] {
			l := int(goes[col[r]])
			seg[k] = r
			tmp[j] = r
			k += l
			j += 1 - l
		}
		nl[t] = k - lo
	})
	// Gather: left rows of each chunk slide down in chunk order (destinations never pass their
	// sources), then the right rows follow from scratch.
	pos := 0
	for t := range threads {
		lo := bounds[t][0]
		copy(seg[pos:], seg[lo:lo+nl[t]])
		pos += nl[t]
	}
	left := pos
	tmp := g.scratch[begin:end]
	for t := range threads {
		lo, hi := bounds[t][0], bounds[t][1]
		nr := hi - lo - nl[t]
		copy(seg[pos:], tmp[lo:lo+nr])
		pos += nr
	}
	return left
}
