package training

import (
	"math"
	"math/rand/v2"
	"slices"
)

const (
	maxBins       = 255 // value bins per feature: codes 0..254
	missingBin    = 255 // the code of NaN, in every feature
	binStride     = 256 // histogram slots per feature: value bins, then missingBin
	maxDepthLimit = 32
	// binSampleRows bounds the rows whose values place the quantile cuts: beyond a few hundred
	// thousand, more rows move the cuts by less than a bin's width.
	binSampleRows = 200_000
)

// binner maps a feature value to its bin code: the first bin b with v <= edges[f][b], else
// the last bin, and NaN to missingBin. Because a split "bin <= b" is then exactly
// "v <= edges[f][b]" in float32, trees trained on codes predict the same on raw values.
type binner struct {
	edges [][]float32   // per feature, ascending upper bounds of all bins but the last
	keys  [][256]uint32 // orderKey of the edges, padded with +Inf's, for a branch-free search
}

// bins returns the number of value bins of feature f.
func (b *binner) bins(f int) int { return len(b.edges[f]) + 1 }

// fitBinner places at most nBins-1 cuts per feature at the quantiles of a seeded sample of
// rows; a feature with at most nBins distinct values gets one bin per value. Each cut lies
// halfway between two neighbouring sample values, rounded to a float32 that keeps them apart.
func fitBinner(d Dataset, nBins int, seed int64, threads int) *binner {
	rows := sampleRows(d.Rows, binSampleRows, seed)
	b := &binner{edges: make([][]float32, d.Cols)}
	parallelFor(d.Cols, threads, func(f int) {
		vals := make([]float32, 0, len(rows))
		for _, r := range rows {
			if v := d.X[r*d.Cols+f]; !math.IsNaN(float64(v)) {
				vals = append(vals, v)
			}
		}
		slices.Sort(vals)
		b.edges[f] = quantileEdges(vals, nBins)
	})
	b.pad()
	return b
}

func (b *binner) pad() {
	b.keys = make([][256]uint32, len(b.edges))
	inf := orderKey(float32(math.Inf(1)))
	for f, e := range b.edges {
		k := &b.keys[f]
		for i := range k {
			k[i] = inf
			if i < len(e) {
				k[i] = orderKey(e[i])
			}
		}
	}
}

// orderKey maps a non-NaN float32 to a uint32 in the same order (-0 and +0 alike), so that the
// search can compare by integer arithmetic.
func orderKey(v float32) uint32 {
	u := math.Float32bits(v + 0) // + 0 turns -0 into +0
	if u&(1<<31) != 0 {
		return ^u
	}
	return u | 1<<31
}

// sampleRows returns all row indices when n <= limit, else limit of them drawn without
// replacement with a seeded source, in ascending order.
func sampleRows(n, limit int, seed int64) []int {
	if n <= limit {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x62696e73)) // "bins"
	// Floyd's algorithm: limit distinct draws in O(limit) memory.
	chosen := make(map[int]struct{}, limit)
	for j := n - limit; j < n; j++ {
		t := rng.IntN(j + 1)
		if _, dup := chosen[t]; dup {
			t = j
		}
		chosen[t] = struct{}{}
	}
	idx := make([]int, 0, limit)
	for i := range chosen {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	return idx
}

// quantileEdges cuts sorted values into at most nBins bins of about equal counts.
func quantileEdges(sorted []float32, nBins int) []float32 {
	if len(sorted) == 0 {
		return nil
	}
	// Distinct values and how many sample rows hold each.
	var distinct []float32
	var counts []int
	for i, v := range sorted {
		if i == 0 || v != sorted[i-1] {
			distinct = append(distinct, v)
			counts = append(counts, 0)
		}
		counts[len(counts)-1]++
	}
	edges := make([]float32, 0, min(len(distinct), nBins)-1)
	if len(distinct) <= nBins {
		for i := 0; i+1 < len(distinct); i++ {
			edges = append(edges, cutBetween(distinct[i], distinct[i+1]))
		}
		return edges
	}
	// Walk the distinct values, closing a bin once it holds its share of the rows left, so a
	// value heavy with ties takes one bin and the rest share the others evenly.
	rowsLeft, binsLeft := len(sorted), nBins
	inBin := 0
	for i := 0; i+1 < len(distinct) && binsLeft > 1; i++ {
		inBin += counts[i]
		target := float64(rowsLeft) / float64(binsLeft)
		// Close here if this bin is full, or if adding the next value would overshoot the
		// target by more than stopping short of it does.
		if float64(inBin) >= target || float64(inBin+counts[i+1])-target > target-float64(inBin) {
			edges = append(edges, cutBetween(distinct[i], distinct[i+1]))
			rowsLeft -= inBin
			binsLeft--
			inBin = 0
		}
	}
	return edges
}

// cutBetween returns a float32 c with a <= c < b, halfway when float32 allows.
func cutBetween(a, b float32) float32 {
	c := float32((float64(a) + float64(b)) / 2)
	if c >= a && c < b {
		return c
	}
	return a
}

// code returns the bin code of v in feature f: the number of edges below v, found in eight
// steps over the padded edge keys.
func (b *binner) code(f int, v float32) uint8 {
	if v != v {
		return missingBin
	}
	k := &b.keys[f]
	x := int64(orderKey(v))
	i := 0
	for step := 128; step > 0; step >>= 1 {
		// All ones when x > key, from the sign of key - x: an if here compiles to a branch.
		mask := (int64(k[(i+step-1)&255]) - x) >> 63
		i += step & int(mask)
	}
	return uint8(i)
}

// transform returns the row-major bin codes of d (Rows*Cols bytes).
func (b *binner) transform(d Dataset, threads int) []uint8 {
	codes := make([]uint8, d.Rows*d.Cols)
	parallelChunks(d.Rows, threads, func(_, lo, hi int) {
		for i := lo * d.Cols; i < hi*d.Cols; i++ {
			codes[i] = b.code(i%d.Cols, d.X[i])
		}
	})
	return codes
}
