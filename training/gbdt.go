package training

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// GBDT is a trained gradient-boosted tree ensemble for binary outcomes. Its score is
// sigmoid(base + sum of the trees' leaf values). Safe for concurrent use once trained.
type GBDT struct {
	trees          []tree
	flat           []flatTree // the trees laid out for Predict
	base           float32
	cols           int
	features       []string
	featureVersion string
	scalePosWeight float64
	validLoss      []float64
	bestRound      int
	importance     []float64
}

// Trees returns the number of trees kept (after early stopping).
func (m *GBDT) Trees() int { return len(m.trees) }

// Features returns the feature names of the training data (nil when it had none).
func (m *GBDT) Features() []string { return append([]string(nil), m.features...) }

// FeatureVersion returns the feature version of the training data.
func (m *GBDT) FeatureVersion() string { return m.featureVersion }

// ScalePosWeight returns the weight that positive rows had in training.
func (m *GBDT) ScalePosWeight() float64 { return m.scalePosWeight }

// ValidationLoss returns the weighted validation log-loss after each round trained (nil when
// training had no validation set); the model keeps the trees up to the lowest.
func (m *GBDT) ValidationLoss() []float64 { return append([]float64(nil), m.validLoss...) }

// FeatureImportance returns, per feature, the total loss reduction of the splits on it.
func (m *GBDT) FeatureImportance() []float64 { return append([]float64(nil), m.importance...) }

// TrainGBDT fits a GBDT to train's labels (0 or 1; NaN features are missing values). Early
// stopping, when cfg asks for it, watches valid, or without one the latest ValidationShare of
// train. The result does not depend on cfg.Threads. ctx is checked between trees.
func TrainGBDT(ctx context.Context, train Dataset, valid *Dataset, cfg GBDTConfig) (*GBDT, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	train, valid, err := prepareGBDTData(train, valid, cfg)
	if err != nil {
		return nil, err
	}
	threads := threadCount(cfg.Threads)
	positives, _ := train.checkLabels()
	n := train.Rows
	spw := cfg.ScalePosWeight
	if spw == 0 {
		spw = float64(n-positives) / float64(positives)
	}
	wmax := max(spw, 1)
	// The log-odds of the weighted prior, where boosting starts.
	base := math.Log(spw * float64(positives) / float64(n-positives))

	bn := fitBinner(train, cfg.Bins, cfg.Seed, threads)
	codes := bn.transform(train, threads)
	gr := newGrower(codes, n, train.Cols, bn, cfg, threads)
	sp := &splitParams{
		l2: cfg.L2, minChild: cfg.MinChildWeight,
		gScale: fixedScale(wmax), hScale: fixedScale(wmax / 4),
	}
	m := &GBDT{
		cols: train.Cols, features: append([]string(nil), train.Features...),
		featureVersion: train.FeatureVersion, scalePosWeight: spw,
		importance: make([]float64, train.Cols),
	}
	raw := make([]float64, n)
	for i := range raw {
		raw[i] = base
	}
	grad := make([]rowGrad, n)
	var vs *validState
	if valid != nil && cfg.EarlyStoppingRounds > 0 {
		vs = newValidState(*valid, base, spw)
	}
	lg := &logLoss{y: train.Y, spw: spw, sp: sp}
	for round := range cfg.Trees {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("train gbdt: round %d: %w", round, err)
		}
		rng := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(round)))
		allowed := sampleFeatures(rng, train.Cols, cfg.ColSample)
		sample := sampleRowsBernoulli(rng, n, cfg.Subsample)
		// A sequential pass: computing each row's gradient where its score changes would
		// gather scores, labels and gradients in leaf order, which measured slower.
		parallelChunks(n, threads, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				grad[i] = lg.gradient(i, raw[i])
			}
		})

		t, leaves := gr.grow(grad, sample, allowed, sp)
		// Rows in the sample sit in their leaf's segment; the others walk the tree.
		parallelFor(len(leaves), threads, func(i int) {
			lf := leaves[i]
			v := float64(t.nodes[lf.node].value)
			for _, r := range gr.index[lf.begin:lf.end] {
				raw[r] += v
			}
		})
		if sample != nil {
			walkOutOfSample(&t, codes, train.Cols, sample, raw, threads)
		}
		m.trees = append(m.trees, t)
		if vs != nil {
			loss := vs.add(&t, threads)
			m.validLoss = append(m.validLoss, loss)
			if loss < m.validLoss[m.bestRound] {
				m.bestRound = round
			}
			if round-m.bestRound >= cfg.EarlyStoppingRounds {
				break
			}
		}
	}
	if vs != nil {
		m.trees = m.trees[:m.bestRound+1]
	} else {
		m.bestRound = len(m.trees) - 1
	}
	for i := range m.trees {
		for _, nd := range m.trees[i].nodes {
			if nd.feature >= 0 {
				m.importance[nd.feature] += nd.gain
			}
		}
	}
	for i := range m.trees {
		m.flat = append(m.flat, flatten(&m.trees[i]))
	}
	// Positive rows weighed spw times shift the optimal log-odds by log(spw): shifting the
	// base back makes the outputs calibrated probabilities again, ranking unchanged.
	m.base = float32(base - math.Log(spw))
	return m, nil
}

// prepareGBDTData checks the data and carves the validation split out of train when needed.
func prepareGBDTData(train Dataset, valid *Dataset, cfg GBDTConfig) (Dataset, *Dataset, error) {
	if err := train.Validate(); err != nil {
		return train, nil, fmt.Errorf("train gbdt: training data: %w", err)
	}
	if train.Cols < 1 {
		return train, nil, fmt.Errorf("train gbdt: training data: %w: no columns", ErrDataset)
	}
	if _, err := train.checkLabels(); err != nil {
		return train, nil, fmt.Errorf("train gbdt: training data: %w", err)
	}
	if valid != nil {
		if err := valid.Validate(); err != nil {
			return train, nil, fmt.Errorf("train gbdt: validation data: %w", err)
		}
		if valid.Cols != train.Cols {
			return train, nil, fmt.Errorf("train gbdt: validation data: %w: %d columns, training data has %d", ErrDataset, valid.Cols, train.Cols)
		}
		if _, err := valid.labelCount(); err != nil {
			return train, nil, fmt.Errorf("train gbdt: validation data: %w", err)
		}
		if valid.Rows == 0 {
			return train, nil, fmt.Errorf("train gbdt: validation data: %w: no rows", ErrDataset)
		}
		return train, valid, nil
	}
	if cfg.EarlyStoppingRounds == 0 {
		return train, nil, nil
	}
	if cfg.ValidationShare == 0 {
		return train, nil, fmt.Errorf("train gbdt: %w: EarlyStoppingRounds = %d needs a validation set: pass one or set ValidationShare",
			ErrConfig, cfg.EarlyStoppingRounds)
	}
	early, late := latestShare(train, cfg.ValidationShare)
	if late.Rows == 0 {
		return train, nil, fmt.Errorf("train gbdt: %w: ValidationShare %v of %d rows holds no row", ErrDataset, cfg.ValidationShare, train.Rows)
	}
	if _, err := early.checkLabels(); err != nil {
		return train, nil, fmt.Errorf("train gbdt: training data without its latest %v: %w", cfg.ValidationShare, err)
	}
	return early, &late, nil
}

// sampleFeatures returns the features a tree may split on, in ascending order: all of them,
// or round(share*cols) (at least one) drawn without replacement.
func sampleFeatures(rng *rand.Rand, cols int, share float64) []int {
	k := max(int(math.Round(share*float64(cols))), 1)
	perm := rng.Perm(cols)
	keep := make([]bool, cols)
	for _, f := range perm[:k] {
		keep[f] = true
	}
	out := make([]int, 0, k)
	for f, ok := range keep {
		if ok {
			out = append(out, f)
		}
	}
	return out
}

// sampleRowsBernoulli returns, in ascending order, the rows drawn for a tree, each with
// probability share; nil when share is 1 (every row).
func sampleRowsBernoulli(rng *rand.Rand, n int, share float64) []uint32 {
	if share >= 1 {
		return nil
	}
	out := make([]uint32, 0, int(float64(n)*share)+16)
	for i := range n {
		if rng.Float64() < share {
			out = append(out, uint32(i))
		}
	}
	if len(out) == 0 {
		out = append(out, uint32(rng.IntN(n)))
	}
	return out
}

// logLoss gives the weighted log-loss gradient and hessian of a row, in fixed point. Each
// row is computed alone, so the thread count cannot change a bit.
type logLoss struct {
	y   []float32
	spw float64
	sp  *splitParams
}

func (l *logLoss) gradient(i int, raw float64) rowGrad {
	p := 1 / (1 + expFast(-raw))
	w, y := 1.0, float64(l.y[i])
	if y == 1 {
		w = l.spw
	}
	g := w * (p - y)
	h := w * p * (1 - p)
	// Round to nearest (floor of x + 1/2 is one instruction): truncation would pull every
	// gradient towards zero by half a step on average.
	return rowGrad{int32(math.Floor(g*l.sp.gScale + 0.5)), int32(math.Floor(h*l.sp.hScale + 0.5))}
}

// walkOutOfSample adds the tree's output to the rows left out of the sample (ascending).
func walkOutOfSample(t *tree, codes []uint8, cols int, sample []uint32, raw []float64, threads int) {
	parallelChunks(len(raw), threads, func(_, lo, hi int) {
		// Find the first sampled row at or after lo, then skip sampled rows as we go.
		j := searchU32(sample, uint32(lo))
		for i := lo; i < hi; i++ {
			if j < len(sample) && sample[j] == uint32(i) {
				j++
				continue
			}
			raw[i] += float64(t.nodes[t.leafOfCodes(codes[i*cols:(i+1)*cols])].value)
		}
	})
}

func searchU32(a []uint32, v uint32) int {
	lo, hi := 0, len(a)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if a[mid] < v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// validState tracks the raw scores of the validation rows for early stopping.
type validState struct {
	d   Dataset
	raw []float64
	out []float32
	spw float64
}

func newValidState(d Dataset, base, spw float64) *validState {
	raw := make([]float64, d.Rows)
	for i := range raw {
		raw[i] = base
	}
	return &validState{d: d, raw: raw, out: make([]float32, d.Rows), spw: spw}
}

// add adds a tree's output and returns the weighted mean log-loss, the training objective.
func (v *validState) add(t *tree, threads int) float64 {
	cols := v.d.Cols
	ft := []flatTree{flatten(t)}
	parallelChunks(v.d.Rows, threads, func(_, lo, hi int) {
		sumLeaves(ft, v.d.X[lo*cols:hi*cols], cols, v.out[lo:hi])
		for i := lo; i < hi; i++ {
			v.raw[i] += float64(v.out[i])
		}
	})
	var loss, wsum float64
	for i, z := range v.raw {
		w := 1.0
		if v.d.Y[i] == 1 {
			w = v.spw
			loss += w * softplus(-z)
		} else {
			loss += softplus(z)
		}
		wsum += w
	}
	return loss / wsum
}

// softplus is log(1 + e^x) without overflow.
func softplus(x float64) float64 { return max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }
