package scanner

import (
	"strings"

	"github.com/riskmap/riskmap"
)

// Objective is the one measure riskmap ranks assets by, wherever it ranks them: the planner's
// tiers, the priority of `riskmap score`, the order of `riskmap targets` and of the report. It
// is expected serious findings: an asset's value is the serious findings a scan that sees
// everything is expected to find on it, and a tier's gain is the share of that value the
// tier's probes reach; the planner spends the budget where gain per probe is highest.
type Objective struct {
	// AnomalyWeight is how much anomaly adds to risk, in [0, 1]: planner.anomaly_weight.
	AnomalyWeight float64
}

// Objective is the ranking objective of this planner configuration.
func (c PlannerConfig) Objective() Objective { return Objective{AnomalyWeight: c.AnomalyWeight} }

// Value is the serious findings expected on an asset by a scan that sees everything: its risk
// (the probability of a serious finding at the next deep scan), raised by strangeness, since an
// asset that changed unexpectedly deserves a look even when its risk is modest.
func (o Objective) Value(risk, anomaly float32) float64 {
	r := float64(risk)
	return r + o.AnomalyWeight*float64(anomaly)*(1-r)
}

// Priority is Value as the float32 that scores, plan items and targets carry.
func (o Objective) Priority(risk, anomaly float32) float32 { return float32(o.Value(risk, anomaly)) }

// Gain is the serious findings a scan is expected to find on an asset of this value: the
// tier's detection, times the share of findings on the ports it probes (predicted ports, a
// share of them, always probed; the rest covered as far as the tier's port list goes).
func (o Objective) Gain(value, detection, predictedShare, coverage float64) float64 {
	return value * detection * (predictedShare + (1-predictedShare)*coverage)
}

// SweepGain is the serious findings expected from sweeping ports of an asset of this value:
// unlisted (the share of its value expected on ports no list names) spread evenly over `over`
// ports (those never probed; for a re-sweep, the asset's whole range, which the caller then
// discounts by how stale the last probe is), of which the sweep takes `ports`, seen at the
// sweep tier's detection. Divided by the sweep's probes it competes with Gain's marginal per
// probe.
func (o Objective) SweepGain(value, detection, unlisted float64, ports, over int) float64 {
	if over <= 0 || ports <= 0 {
		return 0
	}
	return value * detection * unlisted * float64(min(ports, over)) / float64(over)
}

// Compare orders two ranked assets: the higher priority first, then by asset id, so that
// every ranking of the same scores is the same order.
func Compare(a, b riskmap.Score) int {
	switch {
	case a.Priority > b.Priority:
		return -1
	case a.Priority < b.Priority:
		return 1
	}
	return strings.Compare(a.AssetID, b.AssetID)
}
