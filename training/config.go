package training

import (
	"errors"
	"fmt"
	"math"
)

// ErrConfig is wrapped by every error from a Validate method.
var ErrConfig = errors.New("invalid training config")

// GBDTConfig sets how TrainGBDT grows its trees. Start from DefaultGBDTConfig; Validate refuses a
// value out of range rather than clamping it.
type GBDTConfig struct {
	Trees          int     // boosting rounds (default 200)
	LearningRate   float64 // shrinkage per tree, in (0, 1] (default 0.1)
	MaxDepth       int     // edges from root to deepest leaf, 1..32 (default 6)
	MaxLeaves      int     // leaves per tree, 0 = only MaxDepth limits; else >= 2, grown best-first
	MinChildWeight float64 // least hessian sum on either side of a split (default 1)
	L2             float64 // L2 penalty on leaf values, lambda (default 1)
	Subsample      float64 // share of rows drawn for each tree, in (0, 1] (default 1)
	ColSample      float64 // share of features drawn for each tree, in (0, 1] (default 1)
	Bins           int     // quantile bins per feature, 2..255 (default 255); NaN gets its own
	// EarlyStoppingRounds stops training once the validation log-loss has not improved for this
	// many rounds and keeps the best round's trees; 0 trains all Trees (default 20).
	EarlyStoppingRounds int
	// ValidationShare is the latest share of the training rows (by Time, else by row order) held
	// out for early stopping when TrainGBDT gets no validation set, in [0, 0.5) (default 0.1).
	ValidationShare float64
	// ScalePosWeight weighs positive rows in the loss; 0 means negatives/positives (default 0).
	// The trained model's base value is shifted back by log(ScalePosWeight), so its outputs stay
	// calibrated probabilities while the trees see balanced classes.
	ScalePosWeight float64
	Seed           int64 // seeds bin sampling, row and column subsampling
	Threads        int   // goroutines, 0 = one per CPU; the model does not depend on it

	// parallelMin, when set, replaces the least rows worth sharing between goroutines, so
	// that tests reach the parallel paths with small data.
	parallelMin int
}

// DefaultGBDTConfig returns the documented defaults.
func DefaultGBDTConfig() GBDTConfig {
	return GBDTConfig{
		Trees:               200,
		LearningRate:        0.1,
		MaxDepth:            6,
		MinChildWeight:      1,
		L2:                  1,
		Subsample:           1,
		ColSample:           1,
		Bins:                255,
		EarlyStoppingRounds: 20,
		ValidationShare:     0.1,
		Seed:                1,
	}
}

// Validate returns an error wrapping ErrConfig that names the first field out of range.
func (c GBDTConfig) Validate() error {
	checks := []struct {
		ok    bool
		field string
		got   any
		want  string
	}{
		{c.Trees >= 1, "Trees", c.Trees, ">= 1"},
		{finite(c.LearningRate) && c.LearningRate > 0 && c.LearningRate <= 1, "LearningRate", c.LearningRate, "in (0, 1]"},
		{c.MaxDepth >= 1 && c.MaxDepth <= maxDepthLimit, "MaxDepth", c.MaxDepth, fmt.Sprintf("in [1, %d]", maxDepthLimit)},
		{c.MaxLeaves == 0 || c.MaxLeaves >= 2, "MaxLeaves", c.MaxLeaves, "0 (no limit) or >= 2"},
		{finite(c.MinChildWeight) && c.MinChildWeight >= 0, "MinChildWeight", c.MinChildWeight, ">= 0"},
		{finite(c.L2) && c.L2 >= 0, "L2", c.L2, ">= 0"},
		{finite(c.Subsample) && c.Subsample > 0 && c.Subsample <= 1, "Subsample", c.Subsample, "in (0, 1]"},
		{finite(c.ColSample) && c.ColSample > 0 && c.ColSample <= 1, "ColSample", c.ColSample, "in (0, 1]"},
		{c.Bins >= 2 && c.Bins <= maxBins, "Bins", c.Bins, fmt.Sprintf("in [2, %d]", maxBins)},
		{c.EarlyStoppingRounds >= 0, "EarlyStoppingRounds", c.EarlyStoppingRounds, ">= 0"},
		{finite(c.ValidationShare) && c.ValidationShare >= 0 && c.ValidationShare < 0.5, "ValidationShare", c.ValidationShare, "in [0, 0.5)"},
		{finite(c.ScalePosWeight) && c.ScalePosWeight >= 0, "ScalePosWeight", c.ScalePosWeight, ">= 0 (0 = negatives/positives)"},
		{c.Threads >= 0, "Threads", c.Threads, ">= 0 (0 = one per CPU)"},
	}
	for _, k := range checks {
		if !k.ok {
			return fmt.Errorf("%w: GBDTConfig.%s = %v: want %s", ErrConfig, k.field, k.got, k.want)
		}
	}
	return nil
}

// Map returns the settings as a model card's hyperparameters (Threads left out: it changes
// nothing in the model).
func (c GBDTConfig) Map() map[string]any {
	return map[string]any{
		"trees": c.Trees, "learning_rate": c.LearningRate, "max_depth": c.MaxDepth,
		"max_leaves": c.MaxLeaves, "min_child_weight": c.MinChildWeight, "l2": c.L2,
		"subsample": c.Subsample, "colsample": c.ColSample, "bins": c.Bins,
		"early_stopping_rounds": c.EarlyStoppingRounds, "validation_share": c.ValidationShare,
		"scale_pos_weight": c.ScalePosWeight, "seed": c.Seed,
	}
}

// IForestConfig sets how TrainIForest builds its forest.
type IForestConfig struct {
	Trees      int   // isolation trees (default 100)
	SampleSize int   // rows drawn without replacement per tree, >= 2 (default 256)
	Seed       int64 // seeds the row draws and the random splits
	Threads    int   // goroutines, 0 = one per CPU; the model does not depend on it
}

// DefaultIForestConfig returns the defaults of the original paper: 100 trees of 256 rows.
func DefaultIForestConfig() IForestConfig {
	return IForestConfig{Trees: 100, SampleSize: 256, Seed: 1}
}

// Validate returns an error wrapping ErrConfig that names the first field out of range.
func (c IForestConfig) Validate() error {
	switch {
	case c.Trees < 1:
		return fmt.Errorf("%w: IForestConfig.Trees = %d: want >= 1", ErrConfig, c.Trees)
	case c.SampleSize < 2:
		return fmt.Errorf("%w: IForestConfig.SampleSize = %d: want >= 2", ErrConfig, c.SampleSize)
	case c.Threads < 0:
		return fmt.Errorf("%w: IForestConfig.Threads = %d: want >= 0 (0 = one per CPU)", ErrConfig, c.Threads)
	}
	return nil
}

// Map returns the settings as a model card's hyperparameters.
func (c IForestConfig) Map() map[string]any {
	return map[string]any{"trees": c.Trees, "sample_size": c.SampleSize, "seed": c.Seed}
}

// LogRegConfig sets how TrainLogReg fits. The objective is the summed log-loss plus
// L2/2 * |w|^2 on the standardised weights (the intercept is not penalised).
type LogRegConfig struct {
	L2      float64 // >= 0 (default 1)
	MaxIter int     // Newton steps, >= 1 (default 50)
	Tol     float64 // stop when no weight moves by more than Tol, > 0 (default 1e-8)
	Threads int     // goroutines, 0 = one per CPU; the model does not depend on it
}

// DefaultLogRegConfig returns the documented defaults.
func DefaultLogRegConfig() LogRegConfig {
	return LogRegConfig{L2: 1, MaxIter: 50, Tol: 1e-8}
}

// Validate returns an error wrapping ErrConfig that names the first field out of range.
func (c LogRegConfig) Validate() error {
	switch {
	case !finite(c.L2) || c.L2 < 0:
		return fmt.Errorf("%w: LogRegConfig.L2 = %v: want >= 0", ErrConfig, c.L2)
	case c.MaxIter < 1:
		return fmt.Errorf("%w: LogRegConfig.MaxIter = %d: want >= 1", ErrConfig, c.MaxIter)
	case !finite(c.Tol) || c.Tol <= 0:
		return fmt.Errorf("%w: LogRegConfig.Tol = %v: want > 0", ErrConfig, c.Tol)
	case c.Threads < 0:
		return fmt.Errorf("%w: LogRegConfig.Threads = %d: want >= 0 (0 = one per CPU)", ErrConfig, c.Threads)
	}
	return nil
}

// Map returns the settings as a model card's hyperparameters.
func (c LogRegConfig) Map() map[string]any {
	return map[string]any{"l2": c.L2, "max_iter": c.MaxIter, "tol": c.Tol}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
