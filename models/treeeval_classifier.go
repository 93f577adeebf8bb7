package models

import "math"

// classifier reads a binary TreeEnsembleClassifier's forest and weights; classifierColumn then
// picks the finalizer of the probabilities column the score takes.
func (c *compiled) classifier(a attrs) error {
	classes := max(len(a["classlabels_int64s"].GetInts()), len(a["classlabels_strings"].GetStrings()))
	if classes != 2 {
		return notNative("a classifier with %d classes (only binary ones compile)", classes)
	}
	at, err := c.readForest(a)
	if err != nil {
		return err
	}
	c.columns = 2
	return c.leafWeights(a, "class_", at, func(id int64) int {
		if id == 0 || id == 1 {
			return int(id)
		}
		return -1
	})
}

// everyLeafWeighted reports whether some tree gives a weight for column col at every leaf, so
// that every row has a score for it (onnxruntime's has_score).
func (c *compiled) everyLeafWeighted(col int) bool {
	for _, t := range c.trees {
		all := true
		for _, nd := range t.nodes {
			if nd.mode == modeLeaf && !nd.weighted[col] {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (c *compiled) anyWeighted(col int) bool {
	for _, t := range c.trees {
		for _, nd := range t.nodes {
			if nd.mode == modeLeaf && nd.weighted[col] {
				return true
			}
		}
	}
	return false
}

// classifierColumn reproduces onnxruntime's (1.24) binary classifier for the layouts it handles
// unambiguously: weights for both classes and no base values (random forests), or weights for one
// class with at most one base value (gradient boosting), whose single margin onnxruntime reads as
// the positive class' whatever class id carries it.
func (c *compiled) classifierColumn(a attrs, col int) (finalizer, error) {
	pt := a.str("post_transform", "NONE")
	base := a["base_values"].GetFloats()
	w0, w1 := c.anyWeighted(0), c.anyWeighted(1)
	switch {
	case w0 && w1:
		if len(base) != 0 {
			return nil, notNative("a binary classifier with weights for both classes and %d base values", len(base))
		}
		if !c.everyLeafWeighted(0) || !c.everyLeafWeighted(1) {
			return nil, notNative("a binary classifier whose rows may miss a class score")
		}
		switch pt {
		case "NONE":
			return func(s0, s1 float32) float32 { return pick(col, s0, s1) }, nil
		case "LOGISTIC":
			return func(s0, s1 float32) float32 { return logistic(pick(col, s0, s1)) }, nil
		case "SOFTMAX":
			return func(s0, s1 float32) float32 {
				m := max(s0, s1)
				e0, e1 := float32(math.Exp(float64(s0-m))), float32(math.Exp(float64(s1-m)))
				return pick(col, e0, e1) / (e0 + e1)
			}, nil
		}
		return nil, notNative("classifier post_transform %s", pt)
	case w0 || w1:
		one := 0
		if w1 {
			one = 1
		}
		if !c.everyLeafWeighted(one) {
			return nil, notNative("a binary classifier whose rows may miss a score")
		}
		var b float32
		switch {
		case len(base) == 0:
		case len(base) == 1 && one == 0:
			b = base[0]
		default:
			return nil, notNative("a binary classifier with %d base values for class %d", len(base), one)
		}
		if one == 1 {
			// onnxruntime keeps two columns, class 0's empty.
			switch pt {
			case "NONE":
				return func(_, s1 float32) float32 { return pick(col, 0, s1) }, nil
			case "LOGISTIC":
				return func(_, s1 float32) float32 { return logistic(pick(col, 0, s1)) }, nil
			}
			return nil, notNative("classifier post_transform %s", pt)
		}
		positive := true
		for _, t := range c.trees {
			for _, nd := range t.nodes {
				positive = positive && (nd.mode != modeLeaf || !nd.weighted[0] || nd.weights[0] >= 0)
			}
		}
		if positive {
			// All weights positive: the margin is taken as the positive probability as is,
			// whatever the post-transform.
			if pt != "NONE" && pt != "LOGISTIC" {
				return nil, notNative("classifier post_transform %s", pt)
			}
			return func(s0, _ float32) float32 { return pick(col, 1-(s0+b), s0+b) }, nil
		}
		switch pt {
		case "NONE":
			return func(s0, _ float32) float32 { return pick(col, -(s0 + b), s0+b) }, nil
		case "LOGISTIC":
			return func(s0, _ float32) float32 { return pick(col, logistic(-(s0 + b)), logistic(s0+b)) }, nil
		}
		return nil, notNative("classifier post_transform %s", pt)
	}
	return nil, notNative("a classifier without class weights")
}

func pick(col int, a, b float32) float32 {
	if col == 0 {
		return a
	}
	return b
}

// logistic is onnxruntime's ComputeLogistic: symmetric around 0, in float32.
func logistic(v float32) float32 {
	e := float32(1 / (1 + math.Exp(-math.Abs(float64(v)))))
	if v < 0 {
		return 1 - e
	}
	return e
}
