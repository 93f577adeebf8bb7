package training

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/riskmap/riskmap/models"
)

// catchRateKs are the k of Metrics.CatchRate: deep-scanning the top k% of assets.
var catchRateKs = [...]int{1, 5, 10, 20}

// CatchRateKs returns the k of Metrics.CatchRate, ascending: 1, 5, 10 and 20.
func CatchRateKs() []int { return append([]int(nil), catchRateKs[:]...) }

// calibrationBins is the number of equal-width bins of [0, 1] in Metrics.Calibration.
const calibrationBins = 10

// Metrics is how well scores rank and estimate labels. A metric that the data cannot define
// (ROC-AUC with one class, say) is NaN.
type Metrics struct {
	ROCAUC float64 // probability that a random positive outscores a random negative, ties half
	PRAUC  float64 // average precision: precision at each positive's threshold, averaged
	Brier  float64 // mean squared difference between score and label
	ECE    float64 // expected calibration error: bin-weighted |mean score - positive rate|
	// CatchRate maps k (CatchRateKs()) to the share of positives among the top k% of rows by
	// score (ceil(k% of rows) rows); rows tied at the cut count in proportion, as a random
	// order among them would on average.
	CatchRate   map[int]float64
	Calibration []models.CalibrationBin // the non-empty tenths of [0, 1], in order
	Rows        int
	Positives   int
}

// Evaluate scores against labels (a label >= 0.5 is positive). A NaN score ranks below every
// other and is left out of the calibration bins and the Brier score. It panics if the lengths
// differ: that is the caller's bug, not a data error.
func Evaluate(scores, labels []float32) Metrics {
	if len(scores) != len(labels) {
		panic(fmt.Sprintf("training: Evaluate: %d scores for %d labels", len(scores), len(labels)))
	}
	n := len(scores)
	m := Metrics{Rows: n, CatchRate: make(map[int]float64, len(catchRateKs))}
	type row struct {
		s   float64
		pos bool
	}
	rs := make([]row, n)
	for i, s := range scores {
		v := float64(s)
		if math.IsNaN(v) {
			v = math.Inf(-1)
		}
		rs[i] = row{v, labels[i] >= 0.5}
		if rs[i].pos {
			m.Positives++
		}
	}
	// Highest score first; ties stay together as groups, and no metric depends on the order
	// inside a group.
	slices.SortFunc(rs, func(a, b row) int { return cmp.Compare(b.s, a.s) })
	var groups []group
	for i, r := range rs {
		if i == 0 || r.s != rs[i-1].s {
			groups = append(groups, group{})
		}
		g := &groups[len(groups)-1]
		if r.pos {
			g.pos++
		} else {
			g.neg++
		}
	}
	P, N := float64(m.Positives), float64(n-m.Positives)

	m.ROCAUC, m.PRAUC = math.NaN(), math.NaN()
	if P > 0 && N > 0 {
		// Walking down, each positive in a group outranks every negative below it.
		var right, negAbove float64
		for _, g := range groups {
			right += float64(g.pos) * (N - negAbove - float64(g.neg))
			right += 0.5 * float64(g.pos) * float64(g.neg)
			negAbove += float64(g.neg)
		}
		m.ROCAUC = right / (P * N)
	}
	if P > 0 {
		var tp, fp, ap float64
		for _, g := range groups {
			tp += float64(g.pos)
			fp += float64(g.neg)
			if g.pos > 0 {
				ap += tp / (tp + fp) * float64(g.pos) / P
			}
		}
		m.PRAUC = ap
	}
	for _, k := range catchRateKs {
		m.CatchRate[k] = catchRate(groups, n, k, P)
	}
	m.Brier, m.ECE, m.Calibration = calibration(scores, labels)
	return m
}

// group counts the positives and negatives that share one score.
type group struct{ pos, neg int }

// catchRate is the share of the P positives in the top ceil(k% of n) rows of groups.
func catchRate(groups []group, n, k int, P float64) float64 {
	if P == 0 {
		return math.NaN()
	}
	slots := float64((n*k + 99) / 100)
	var caught float64
	for _, g := range groups {
		size := float64(g.pos + g.neg)
		if size <= slots {
			caught += float64(g.pos)
			slots -= size
			continue
		}
		caught += float64(g.pos) * slots / size
		break
	}
	return caught / P
}

// calibration returns the Brier score, the expected calibration error and the non-empty bins.
func calibration(scores, labels []float32) (brier, ece float64, bins []models.CalibrationBin) {
	var sumPred, sumObs [calibrationBins]float64
	var count [calibrationBins]int
	var sq float64
	total := 0
	for i, s := range scores {
		v := float64(s)
		if math.IsNaN(v) {
			continue
		}
		y := 0.0
		if labels[i] >= 0.5 {
			y = 1
		}
		sq += (v - y) * (v - y)
		b := min(max(int(math.Floor(v*calibrationBins)), 0), calibrationBins-1)
		sumPred[b] += v
		sumObs[b] += y
		count[b]++
		total++
	}
	if total == 0 {
		return math.NaN(), math.NaN(), nil
	}
	for b := range calibrationBins {
		if count[b] == 0 {
			continue
		}
		c := float64(count[b])
		bin := models.CalibrationBin{
			Lo: float64(b) / calibrationBins, Hi: float64(b+1) / calibrationBins,
			MeanPredicted: sumPred[b] / c, Observed: sumObs[b] / c, Count: count[b],
		}
		ece += c / float64(total) * math.Abs(bin.MeanPredicted-bin.Observed)
		bins = append(bins, bin)
	}
	return sq / float64(total), ece, bins
}

// Map returns the metrics under the names model cards use: "roc_auc", "pr_auc", "brier", "ece",
// "catch_rate@1", "catch_rate@5", ... NaN metrics are left out, so the map encodes as JSON.
func (m Metrics) Map() map[string]float64 {
	out := make(map[string]float64, 4+len(m.CatchRate))
	put := func(k string, v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[k] = v
		}
	}
	put("roc_auc", m.ROCAUC)
	put("pr_auc", m.PRAUC)
	put("brier", m.Brier)
	put("ece", m.ECE)
	for k, v := range m.CatchRate {
		put(fmt.Sprintf("catch_rate@%d", k), v)
	}
	return out
}
