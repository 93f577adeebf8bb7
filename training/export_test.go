package training

// Internals the external tests check directly.

// BinEdges fits the bins of d with at most nBins bins per feature and returns, per feature,
// the edges and a function giving a value's bin code.
func BinEdges(d Dataset, nBins int) (edges [][]float32, code func(f int, v float32) uint8) {
	b := fitBinner(d, nBins, 1, 2)
	return b.edges, b.code
}

// WithSmallChunks returns cfg with every parallel path taken from a few dozen rows on, so
// that determinism tests reach them without large data.
func WithSmallChunks(cfg GBDTConfig) GBDTConfig {
	cfg.parallelMin = 16
	return cfg
}

// ExpFast is the exponential training's gradients use.
var ExpFast = expFast
