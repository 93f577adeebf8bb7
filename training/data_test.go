package training_test

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/riskmap/riskmap/training"
)

// names returns feature names f0..f{n-1}.
func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "f" + string(rune('a'+i%26)) + string(rune('0'+i/26))
	}
	return out
}

// xorData is an exclusive or that no linear model and no single split solves: the label is 1
// when exactly one of x0 > 0.5 and x1 > 0.3 holds; two noise columns come along. The cut on x1
// is off-centre so that greedy growth sees the root split on x0 (a centred XOR gives every
// first split zero expected gain, and trees then split on noise).
func xorData(seed uint64, n int) training.Dataset {
	rng := rand.New(rand.NewPCG(seed, 7))
	const cols = 4
	d := training.Dataset{Rows: n, Cols: cols, Features: names(cols), FeatureVersion: "test-1",
		X: make([]float32, n*cols), Y: make([]float32, n)}
	for i := range n {
		for f := range cols {
			d.X[i*cols+f] = rng.Float32()
		}
		if (d.X[i*cols] > 0.5) != (d.X[i*cols+1] > 0.3) {
			d.Y[i] = 1
		}
	}
	return d
}

// riskData is a nonlinear, imbalanced problem with the shapes real features have: counts,
// skewed amounts, flags, a missing-heavy column and interactions. t0 orders rows in time.
func riskData(seed uint64, n, cols int, t0 time.Time) training.Dataset {
	rng := rand.New(rand.NewPCG(seed, 11))
	d := training.Dataset{Rows: n, Cols: cols, Features: names(cols), FeatureVersion: "test-1",
		X: make([]float32, n*cols), Y: make([]float32, n), Time: make([]time.Time, n)}
	for i := range n {
		row := d.X[i*cols : (i+1)*cols]
		for f := range row {
			switch f % 5 {
			case 0:
				row[f] = float32(rng.NormFloat64())
			case 1:
				row[f] = float32(rng.IntN(8)) // a count
			case 2:
				row[f] = float32(math.Exp(rng.NormFloat64())) // skewed
			case 3:
				if rng.Float64() < 0.3 {
					row[f] = 1 // a flag
				}
			case 4:
				row[f] = float32(rng.Float64())
				if rng.Float64() < 0.2 {
					row[f] = float32(math.NaN())
				}
			}
		}
		z := -4.2 + 1.1*float64(row[3]) + 0.35*float64(row[1]) + 0.8*math.Sin(2*float64(row[0])) +
			0.6*float64(row[0])*float64(row[5%cols]) + 0.5*math.Log(float64(row[2]))
		if v := row[4%cols]; v != v {
			z += 0.7 // missingness itself carries signal
		} else if v > 0.8 {
			z += 0.5
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			d.Y[i] = 1
		}
		d.Time[i] = t0.Add(time.Duration(i) * time.Minute)
	}
	return d
}

// aucOf is a plain O(n log n)-free reference AUC: the share of positive-negative pairs ranked
// right, ties counting half. Quadratic, so only for small n.
func aucOf(scores, labels []float32) float64 {
	var right, pairs float64
	for i := range scores {
		if labels[i] != 1 {
			continue
		}
		for j := range scores {
			if labels[j] != 0 {
				continue
			}
			pairs++
			switch {
			case scores[i] > scores[j]:
				right++
			case scores[i] == scores[j]:
				right += 0.5
			}
		}
	}
	return right / pairs
}
