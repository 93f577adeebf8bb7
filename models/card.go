package models

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Card describes one registered model version: what it was trained on, how, and how well it did.
// It is stored next to the model as card.json (snake_case keys, for pandas and jq alike).
type Card struct {
	Name            string             `json:"name"`
	Version         string             `json:"version"`
	Kind            string             `json:"kind"`
	Algo            string             `json:"algo"` // "gbdt", "logistic", "isolation_forest", "imported", ...
	FeatureVersion  string             `json:"feature_version"`
	Features        []string           `json:"features"`
	DataWindow      Window             `json:"data_window"` // the training data's as_of range
	Rows            int                `json:"rows"`
	LabelRate       float64            `json:"label_rate"`
	Hyperparameters map[string]any     `json:"hyperparameters,omitempty"`
	Seed            int64              `json:"seed"`
	Metrics         map[string]float64 `json:"metrics,omitempty"`  // roc_auc, pr_auc, brier, catch_rate@1, @5, @10, @20, ...
	Baseline        map[string]float64 `json:"baseline,omitempty"` // the rules baseline, same held-out data
	Calibration     []CalibrationBin   `json:"calibration,omitempty"`
	TrainingSeconds float64            `json:"training_seconds"`
	GitCommit       string             `json:"git_commit,omitempty"`
	CreatedAt       time.Time          `json:"created_at"`
	HeldOut         string             `json:"held_out"` // the id of the held-out data Metrics were computed on
	Promoted        bool               `json:"promoted"` // ever made CURRENT
	Forced          bool               `json:"forced"`   // made CURRENT without beating the then current version
	Imported        bool               `json:"imported"` // made outside riskmap and stamped
	Notes           []string           `json:"notes,omitempty"`
	// Evaluations holds this version's metrics on later held-out data, keyed by held-out id,
	// so that a newer candidate is compared with it on the candidate's own held-out rows.
	Evaluations map[string]map[string]float64 `json:"evaluations,omitempty"`
}

// CalibrationBin is one bin of a reliability diagram: predictions in [Lo, Hi), their mean, the
// observed positive rate and how many rows fell in the bin.
type CalibrationBin struct {
	Lo            float64 `json:"lo"`
	Hi            float64 `json:"hi"`
	MeanPredicted float64 `json:"mean_predicted"`
	Observed      float64 `json:"observed"`
	Count         int     `json:"count"`
}

// Window is a time range, both ends included.
type Window struct {
	From, To time.Time
}

type windowJSON struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// MarshalJSON writes {"from": ..., "to": ...} in RFC 3339.
func (w Window) MarshalJSON() ([]byte, error) { return json.Marshal(windowJSON(w)) }

// UnmarshalJSON reads what MarshalJSON writes.
func (w *Window) UnmarshalJSON(b []byte) error {
	var v windowJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*w = Window(v)
	return nil
}

// MetricOn returns the card's metric on the held-out data heldOut: its own Metrics when that is
// its held-out set, else a recorded evaluation.
func (c Card) MetricOn(heldOut, name string) (float64, bool) {
	if heldOut != "" && heldOut == c.HeldOut {
		return c.Metric(name)
	}
	v, ok := c.Evaluations[heldOut][name]
	return v, ok
}

// Metric returns a metric by name, ok false when the card lacks it.
func (c Card) Metric(name string) (float64, bool) {
	v, ok := c.Metrics[name]
	return v, ok
}

// validate refuses what JSON cannot hold (NaN, ±Inf) with the field that holds it, so that the
// trainer learns of an undefined metric when it registers, not when someone reads the card.
func (c Card) validate() error {
	finite := func(field string, v float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("card %s: %v cannot be stored in JSON; leave an undefined metric out", field, v)
		}
		return nil
	}
	if err := finite("label_rate", c.LabelRate); err != nil {
		return err
	}
	if err := finite("training_seconds", c.TrainingSeconds); err != nil {
		return err
	}
	for _, m := range []struct {
		field string
		vals  map[string]float64
	}{{"metrics", c.Metrics}, {"baseline", c.Baseline}} {
		for k, v := range m.vals {
			if err := finite(fmt.Sprintf("%s[%s]", m.field, k), v); err != nil {
				return err
			}
		}
	}
	for id, vals := range c.Evaluations {
		for k, v := range vals {
			if err := finite(fmt.Sprintf("evaluations[%s][%s]", id, k), v); err != nil {
				return err
			}
		}
	}
	for i, b := range c.Calibration {
		for _, f := range []struct {
			name string
			v    float64
		}{{"lo", b.Lo}, {"hi", b.Hi}, {"mean_predicted", b.MeanPredicted}, {"observed", b.Observed}} {
			if err := finite(fmt.Sprintf("calibration[%d].%s", i, f.name), f.v); err != nil {
				return err
			}
		}
	}
	return nil
}

// lowerIsBetter lists the metrics where a smaller figure wins.
var lowerIsBetter = map[string]bool{"brier": true, "log_loss": true, "logloss": true, "ece": true, "mse": true, "rmse": true, "mae": true}

// beats reports whether a is better than b on metric.
func beats(metric string, a, b float64) bool {
	if lowerIsBetter[metric] {
		return a < b
	}
	return a > b
}

// ParseCard decodes a card.json and checks that its figures are finite.
func ParseCard(b []byte) (Card, error) {
	var c Card
	if err := json.Unmarshal(b, &c); err != nil {
		return Card{}, fmt.Errorf("card: %w", err)
	}
	if err := c.validate(); err != nil {
		return Card{}, fmt.Errorf("card: %w", err)
	}
	return c, nil
}
