package models

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Promote makes version the current version of name when its card's metric (DefaultPromoteMetric
// when "") beats the current version's on the same held-out data (equal, non-empty Card.HeldOut).
// Higher wins, except for losses (brier, log_loss, ...) where lower wins. A version that does not
// beat the current one is refused with ErrNotBetter, cards that cannot be compared with
// ErrNotComparable; force promotes anyway and records Forced in the card. With no current
// version yet, any version is promoted.
func (r *Registry) Promote(name, version, metric string, force bool) error {
	if metric == "" {
		metric = DefaultPromoteMetric
	}
	v, err := r.resolve(name, version)
	if err != nil {
		return fmt.Errorf("promote %s: %w", name, err)
	}
	c, err := r.readCard(name, v)
	if err != nil {
		return fmt.Errorf("promote: %w", err)
	}
	cur, err := r.Current(name)
	switch {
	case errors.Is(err, ErrNoCurrent):
		c.Notes = append(c.Notes, fmt.Sprintf("promoted %s: first current version", r.now().UTC().Format(time.RFC3339)))
	case err != nil:
		return fmt.Errorf("promote %s %s: %w", name, v, err)
	case cur == v:
		return nil
	default:
		cc, err := r.readCard(name, cur)
		if err != nil {
			return fmt.Errorf("promote %s %s: current version: %w", name, v, err)
		}
		verdict, err := compare(metric, c, cc)
		if err != nil && !force {
			return fmt.Errorf("promote %s %s: %w", name, v, err)
		}
		if err != nil {
			c.Forced = true
			verdict = "forced: " + err.Error()
		}
		c.Notes = append(c.Notes, fmt.Sprintf("promoted %s over %s: %s", r.now().UTC().Format(time.RFC3339), cur, verdict))
	}
	c.Promoted = true
	if err := writeCard(filepath.Join(r.root(), name, v, CardFile), c); err != nil {
		return fmt.Errorf("promote %s %s: %w", name, v, err)
	}
	if err := writeAtomic(filepath.Join(r.root(), name, CurrentFile), []byte(v+"\n")); err != nil {
		return fmt.Errorf("promote %s %s: %w", name, v, err)
	}
	return nil
}

// RecordEvaluation stores version's metrics on other held-out data in its card, so that
// Promote can compare a candidate evaluated on that data with it.
func (r *Registry) RecordEvaluation(name, version, heldOut string, metrics map[string]float64) error {
	v, err := r.resolve(name, version)
	if err != nil {
		return fmt.Errorf("record evaluation %s: %w", name, err)
	}
	c, err := r.readCard(name, v)
	if err != nil {
		return fmt.Errorf("record evaluation: %w", err)
	}
	if heldOut == "" {
		return fmt.Errorf("record evaluation %s %s: empty held-out id", name, v)
	}
	if c.Evaluations == nil {
		c.Evaluations = map[string]map[string]float64{}
	}
	c.Evaluations[heldOut] = metrics
	if err := c.validate(); err != nil {
		return fmt.Errorf("record evaluation %s %s: %w", name, v, err)
	}
	return writeCard(filepath.Join(r.root(), name, v, CardFile), c)
}

// compare says why candidate beats current on metric, or why it does not.
func compare(metric string, candidate, current Card) (string, error) {
	_, evaluated := current.Evaluations[candidate.HeldOut]
	if candidate.HeldOut == "" || (candidate.HeldOut != current.HeldOut && !evaluated) {
		return "", fmt.Errorf("%w: %s was evaluated on held-out %q, current %s on %q; compare on the same held-out data",
			ErrNotComparable, candidate.Version, candidate.HeldOut, current.Version, current.HeldOut)
	}
	a, okA := candidate.Metric(metric)
	b, okB := current.MetricOn(candidate.HeldOut, metric)
	if !okA || !okB {
		return "", fmt.Errorf("%w: metric %s missing from %s", ErrNotComparable, metric, strings.Join(missing(metric, candidate, current), " and "))
	}
	dir := "higher"
	if lowerIsBetter[metric] {
		dir = "lower"
	}
	if !beats(metric, a, b) {
		return "", fmt.Errorf("%w: %s %s %.4f does not beat current %s's %.4f on held-out %q (%s is better)",
			ErrNotBetter, candidate.Version, metric, a, current.Version, b, candidate.HeldOut, dir)
	}
	return fmt.Sprintf("%s %.4f beats %.4f on held-out %q", metric, a, b, candidate.HeldOut), nil
}

func missing(metric string, cards ...Card) []string {
	var out []string
	for _, c := range cards {
		if _, ok := c.Metric(metric); !ok {
			out = append(out, c.Version)
		}
	}
	return out
}
