package training

import "math"

// split is the best way found to cut a node: rows whose code in feature is <= bin go left,
// rows with a missing value go left when missingLeft. bin == last value bin with missing rows
// going right is the split "is missing".
type split struct {
	gain        float64
	feature     int
	bin         int
	missingLeft bool
	left, right gpair
}

func (s split) valid() bool { return s.feature >= 0 }

// splitParams holds what split search needs from the config and the round.
type splitParams struct {
	l2, minChild   float64
	gScale, hScale float64 // fixed-point scales of gradients and hessians
}

// score is the loss reduction a leaf holding sums p achieves (twice it, as in XGBoost's gain).
func (sp *splitParams) score(p gpair) float64 {
	g, h := float64(p.g)/sp.gScale, float64(p.h)/sp.hScale
	return g * g / (h + sp.l2)
}

// leafValue is the Newton step -G/(H+lambda) for a leaf holding sums p.
func (sp *splitParams) leafValue(p gpair) float64 {
	g, h := float64(p.g)/sp.gScale, float64(p.h)/sp.hScale
	return -g / (h + sp.l2)
}

// childOK says whether a side with sums p may become a child: it must hold rows (a positive
// hessian) and at least the minimum child weight.
func (sp *splitParams) childOK(p gpair) bool {
	return p.h > 0 && float64(p.h)/sp.hScale >= sp.minChild
}

// minGain keeps splits whose gain is rounding noise from being made: a split that separates
// nothing has gain exactly 0 in real numbers.
const minGain = 1e-12

// findSplit returns the best split of a node with histogram h and sums total over the allowed
// features, scanning features in order and bins left to right, so ties go to the lowest feature
// and bin whatever the thread count. A node that cannot be split gets feature -1.
func findSplit(h histogram, total gpair, allowed []int, bn *binner, sp *splitParams) split {
	best := split{feature: -1, gain: minGain}
	parent := sp.score(total)
	for _, f := range allowed {
		nb := bn.bins(f)
		slots := &h[f]
		miss := slots[missingBin]
		hasMissing := miss.h != 0 || miss.g != 0
		var left gpair
		for b := 0; b < nb; b++ {
			left = left.add(slots[b])
			last := b == nb-1
			if last && !hasMissing {
				break // everything left: not a split
			}
			// Missing values right (the default when a feature has none).
			if r := total.sub(left); sp.childOK(left) && sp.childOK(r) {
				if g := sp.score(left) + sp.score(r) - parent; g > best.gain {
					best = split{gain: g, feature: f, bin: b, left: left, right: r}
				}
			}
			if hasMissing && !last {
				l := left.add(miss)
				if r := total.sub(l); sp.childOK(l) && sp.childOK(r) {
					if g := sp.score(l) + sp.score(r) - parent; g > best.gain {
						best = split{gain: g, feature: f, bin: b, missingLeft: true, left: l, right: r}
					}
				}
			}
		}
	}
	return best
}

// threshold is the float32 value of a split: x <= threshold goes left. The "is missing" split
// sends every value left, which +Inf expresses in float32 and in ONNX alike.
func (s split) threshold(bn *binner) float32 {
	e := bn.edges[s.feature]
	if s.bin < len(e) {
		return e[s.bin]
	}
	return float32(math.Inf(1))
}
