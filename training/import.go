package training

import (
	"context"
	"fmt"
	"time"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
	"github.com/riskmap/riskmap/models"
)

// ImportResult is what `riskmap models import` did.
type ImportResult struct {
	Card  models.Card `json:"card"`
	Notes []string    `json:"notes"`
}

// ImportModel stamps the contract onto an ONNX model made elsewhere (skl2onnx with
// zipmap=False, PyTorch), refuses it when it does not fit, evaluates it like a model riskmap
// trained (same time split, same rules baseline, when the workspace has history) and
// registers it, its card stamped now. A model with external data (models.Parse) or whose
// scores on a probe batch are not finite numbers in [0, 1] (models.Probe) is refused, and
// nothing is registered. It does not make it current: `riskmap models promote` does, when it
// is better.
func ImportModel(ctx context.Context, w *datasets.Writer, onnx []byte, name, kind string, featureNames []string, now time.Time) (ImportResult, error) {
	if featureNames == nil {
		featureNames = features.Names()
	}
	if name == "" {
		name = kind
	}
	stamped, notes, err := models.Stamp(onnx, kind, featureNames, features.Version)
	if err != nil {
		return ImportResult{}, err
	}
	m, err := models.Parse(stamped)
	if err != nil {
		return ImportResult{}, err
	}
	// A model whose scores are NaN, infinite or outside [0, 1] would feed the planner
	// nonsense: run it on a probe batch before anything is registered.
	if err := models.Probe(m); err != nil {
		return ImportResult{}, err
	}
	card := models.Card{Name: name, Kind: kind, Algo: "imported", FeatureVersion: features.Version, Features: featureNames, CreatedAt: now.UTC(), Notes: notes}
	if err := m.CheckFeatures(features.Names(), features.Version); err != nil {
		card.Notes = append(card.Notes, "not evaluated: "+err.Error())
	} else if pts, err := Points(ctx, w.Store()); err == nil && len(pts) >= 3 {
		h, err := BuildHistory(ctx, w.Store(), pts)
		if err != nil {
			return ImportResult{}, err
		}
		_, test := TimeSplit(h.Data, pts[len(pts)-2])
		scores, err := ScoreRows(m, test.X, test.Rows)
		if err != nil {
			return ImportResult{}, fmt.Errorf("evaluate imported model: %w", err)
		}
		card.Metrics = Evaluate(scores, test.Y).Map()
		card.Baseline = Evaluate(RulesBaseline(test, RulesBaselineWeights), test.Y).Map()
		card.HeldOut = heldOutID(test, pts[len(pts)-2])
		card.Rows = test.Rows
	} else {
		card.Notes = append(card.Notes, "not evaluated: the workspace has fewer than 3 as_of points of history")
	}
	reg := models.OpenRegistry(w.Store().Dir)
	version, err := reg.Register(name, stamped, card)
	if err != nil {
		return ImportResult{}, err
	}
	_, card, err = reg.Get(name, version)
	return ImportResult{Card: card, Notes: notes}, err
}
