package training

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/riskmap/riskmap/models/onnxpb"
)

// IForest is a trained isolation forest. An outlier is isolated by few random splits, so its
// score 2^(-E[h(x)]/c(n)) is near 1; ordinary rows score near or below 0.5. Safe for concurrent
// use once trained.
type IForest struct {
	trees          []tree // leaves hold h = depth + c(rows at the leaf)
	flat           []flatTree
	sampleSize     int
	norm           float32 // c(sampleSize): the mean path length of an unsuccessful BST search
	cols           int
	features       []string
	featureVersion string
}

// SampleSize returns the rows each tree was built from: the config's, or fewer if the data
// had fewer.
func (m *IForest) SampleSize() int { return m.sampleSize }

// Trees returns the number of trees.
func (m *IForest) Trees() int { return len(m.trees) }

// Features returns the feature names of the training data (nil when it had none).
func (m *IForest) Features() []string { return append([]string(nil), m.features...) }

// FeatureVersion returns the feature version of the training data.
func (m *IForest) FeatureVersion() string { return m.featureVersion }

// avgPathLength is c(n), the average path length of an unsuccessful search in a binary search
// tree of n keys: how much deeper a leaf of n rows would have grown.
func avgPathLength(n int) float64 {
	switch {
	case n <= 1:
		return 0
	case n == 2:
		return 1
	}
	const euler = 0.5772156649015329
	m := float64(n - 1)
	return 2*(math.Log(m)+euler) - 2*m/float64(n)
}

// TrainIForest builds an isolation forest on the rows of x (labels, if any, are ignored). Each
// tree draws its rows without replacement and its splits from a source seeded by cfg.Seed and
// the tree's number, so the forest does not depend on cfg.Threads. A split picks a feature
// uniformly among those not constant in the node, and a threshold uniformly between their
// least and greatest value; trees stop at depth ceil(log2(sample size)). x must hold no NaN
// or infinity: what a missing value means for isolation is the caller's choice to make.
func TrainIForest(ctx context.Context, x Dataset, cfg IForestConfig) (*IForest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("train iforest: %w", err)
	}
	if x.Rows < 2 || x.Cols < 1 {
		return nil, fmt.Errorf("train iforest: %w: %d rows, %d columns: want at least 2 and 1", ErrDataset, x.Rows, x.Cols)
	}
	for i, v := range x.X {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("train iforest: %w: row %d column %d (%s) is %v: want a finite value",
				ErrDataset, i/x.Cols, i%x.Cols, x.featureName(i%x.Cols), v)
		}
	}
	psi := min(cfg.SampleSize, x.Rows)
	m := &IForest{
		trees: make([]tree, cfg.Trees), sampleSize: psi, norm: float32(avgPathLength(psi)),
		cols: x.Cols, features: append([]string(nil), x.Features...), featureVersion: x.FeatureVersion,
	}
	limit := int(math.Ceil(math.Log2(float64(psi))))
	parallelFor(cfg.Trees, threadCount(cfg.Threads), func(t int) {
		if ctx.Err() != nil {
			return
		}
		rng := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(t)))
		b := isoBuilder{x: x, rng: rng, limit: limit, lo: make([]float32, x.Cols), hi: make([]float32, x.Cols)}
		rows := drawRows(rng, x.Rows, psi)
		b.grow(rows, 0)
		m.trees[t] = b.t
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("train iforest: %w", err)
	}
	for i := range m.trees {
		m.flat = append(m.flat, flatten(&m.trees[i]))
	}
	return m, nil
}

// drawRows draws k distinct rows of n (Floyd's algorithm), in the order drawn.
func drawRows(rng *rand.Rand, n, k int) []int {
	chosen := make(map[int]bool, k)
	out := make([]int, 0, k)
	for j := n - k; j < n; j++ {
		r := rng.IntN(j + 1)
		if chosen[r] {
			r = j
		}
		chosen[r] = true
		out = append(out, r)
	}
	return out
}

// isoBuilder grows one isolation tree.
type isoBuilder struct {
	x      Dataset
	rng    *rand.Rand
	limit  int
	t      tree
	lo, hi []float32
	cands  []int
}

// grow adds the subtree of rows at depth d and returns its node index.
func (b *isoBuilder) grow(rows []int, d int) int32 {
	id := int32(len(b.t.nodes))
	b.t.nodes = append(b.t.nodes, node{feature: -1, cover: float64(len(rows))})
	if d >= b.limit || len(rows) <= 1 {
		b.t.nodes[id].value = float32(float64(d) + avgPathLength(len(rows)))
		return id
	}
	cols := b.x.Cols
	copy(b.lo, b.x.X[rows[0]*cols:(rows[0]+1)*cols])
	copy(b.hi, b.lo)
	for _, r := range rows[1:] {
		for f, v := range b.x.X[r*cols : (r+1)*cols] {
			b.lo[f] = min(b.lo[f], v)
			b.hi[f] = max(b.hi[f], v)
		}
	}
	b.cands = b.cands[:0]
	for f := range cols {
		if b.lo[f] < b.hi[f] {
			b.cands = append(b.cands, f)
		}
	}
	if len(b.cands) == 0 { // identical rows cannot be isolated further
		b.t.nodes[id].value = float32(float64(d) + avgPathLength(len(rows)))
		return id
	}
	f := b.cands[b.rng.IntN(len(b.cands))]
	lo, hi := b.lo[f], b.hi[f]
	th := float32(float64(lo) + b.rng.Float64()*(float64(hi)-float64(lo)))
	if !(th >= lo && th < hi) {
		th = lo // rounding to float32 reached hi: lo still splits, as lo < hi
	}
	// Partition rows in place: x <= th first.
	k := 0
	for i, r := range rows {
		if b.x.X[r*cols+f] <= th {
			rows[i], rows[k] = rows[k], rows[i]
			k++
		}
	}
	left := b.grow(rows[:k], d+1)
	right := b.grow(rows[k:], d+1)
	n := &b.t.nodes[id]
	n.feature, n.threshold, n.left, n.right = int32(f), th, left, right
	return id
}

// Score writes the anomaly score in [0, 1] of each of rows rows of x to out. Path lengths are
// summed in float32 in tree order and averaged, then 2^(-E[h]/c(n)), as in the ONNX export; a
// NaN goes right at every split, in both. It panics if len(x) != rows*features or
// len(out) < rows.
func (m *IForest) Score(x []float32, rows int, out []float32) {
	checkBatch("IForest.Score", x, rows, m.cols, out)
	threads := 1
	if rows >= predictParallelRows {
		threads = threadCount(0)
	}
	parallelChunks(rows, threads, func(_, lo, hi int) {
		sumLeaves(m.flat, x[lo*m.cols:hi*m.cols], m.cols, out[lo:hi])
		for i := lo; i < hi; i++ {
			e := out[i] / float32(len(m.trees))
			out[i] = float32(math.Pow(2, float64(-(e / m.norm))))
		}
	})
}

// ONNX exports the forest: a TreeEnsembleRegressor (ai.onnx.ml 3) with aggregate AVERAGE whose
// leaves hold the path lengths, then Div by c(n), Neg and Pow(2, .), giving "score" float32
// [N, 1]. kind is models.KindAnomaly for an anomaly model.
func (m *IForest) ONNX(kind string, features []string, featureVersion string) ([]byte, error) {
	if err := checkExport(kind, features, featureVersion, m.cols); err != nil {
		return nil, err
	}
	nodes := []*onnxpb.NodeProto{
		treeEnsemble("paths", "features", "mean_path", m.trees, "AVERAGE", nil),
		opNode("Div", "", "normalise", []string{"mean_path", "c_n"}, []string{"ratio"}),
		opNode("Neg", "", "negate", []string{"ratio"}, []string{"exponent"}),
		opNode("Pow", "", "power", []string{"two", "exponent"}, []string{"score"}),
	}
	inits := []*onnxpb.TensorProto{
		floatTensor("c_n", nil, []float32{m.norm}),
		floatTensor("two", nil, []float32{2}),
	}
	return encodeModel("riskmap_iforest", nodes, inits, kind, features, featureVersion)
}
