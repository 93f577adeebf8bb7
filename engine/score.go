package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
	"github.com/riskmap/riskmap/models"
)

// ScoreOptions choose the models and the time.
type ScoreOptions struct {
	AsOf    time.Time
	Risk    string // "name" or "name@version"; "" means "risk"
	Anomaly string // "" means "anomaly"; "-" means no anomaly model
	Reasons int    // top features to keep per asset (0 means 3)
}

// Scored is the scores of one run, most urgent first, with the matrix they came from.
type Scored struct {
	Scores        []riskmap.Score
	Matrix        *Matrix
	RiskCard      models.Card
	AnomalyCard   *models.Card
	Contributions map[string][]float32 // asset -> per-feature contribution to risk
}

// Priority combines risk and anomaly into the rank key: risk first, raised by strangeness
// (an asset that changed unexpectedly deserves a look even when its risk is modest).
func Priority(risk, anomaly float32) float32 {
	return risk + 0.25*anomaly*(1-risk)
}

// Score scores every asset as of opts.AsOf with the current (or named) models through
// onnxruntime, explains the risk score (Saabas paths for riskmap's tree models, perturbation
// otherwise), and returns the scores sorted by priority.
func Score(ctx context.Context, s *datasets.Store, opts ScoreOptions) (*Scored, error) {
	if opts.AsOf.IsZero() {
		opts.AsOf = time.Now().UTC()
	}
	if opts.Risk == "" {
		opts.Risk = models.KindRisk
	}
	if opts.Anomaly == "" {
		opts.Anomaly = models.KindAnomaly
	}
	if opts.Reasons == 0 {
		opts.Reasons = 3
	}
	if err := models.InitRuntime(); err != nil {
		return nil, err
	}
	reg := models.OpenRegistry(s.Dir)
	name, version := splitModel(opts.Risk)
	risk, riskCard, err := reg.Get(name, version)
	if err != nil {
		return nil, fmt.Errorf("risk model: %w (train one with `riskmap train risk`, or the bundled default is installed by `riskmap cycle`)", err)
	}
	m, err := FeatureMatrix(ctx, s, opts.AsOf)
	if err != nil {
		return nil, err
	}
	names := features.Names()
	if err := risk.CheckFeatures(names, features.Version); err != nil {
		return nil, fmt.Errorf("risk model %s@%s: %w", riskCard.Name, riskCard.Version, err)
	}
	rows := len(m.Assets)
	out := &Scored{Matrix: m, RiskCard: riskCard, Contributions: map[string][]float32{}}
	riskScores, contrib, err := scoreAndExplain(risk, m)
	if err != nil {
		return nil, err
	}
	anomaly := make([]float32, rows)
	if opts.Anomaly != "-" {
		an, ver := splitModel(opts.Anomaly)
		am, ac, err := reg.Get(an, ver)
		switch {
		case errors.Is(err, models.ErrNotFound), errors.Is(err, models.ErrNoCurrent):
		case err != nil:
			return nil, err
		default:
			if err := am.CheckFeatures(names, features.Version); err != nil {
				return nil, fmt.Errorf("anomaly model %s@%s: %w", ac.Name, ac.Version, err)
			}
			if anomaly, err = ScoreRows(am, m.X, rows); err != nil {
				return nil, err
			}
			out.AnomalyCard = &ac
		}
	}
	for i, id := range m.Assets {
		sc := riskmap.Score{
			AssetID: id, AsOf: opts.AsOf, Model: riskCard.Name, ModelVersion: riskCard.Version,
			Risk: riskScores[i], Anomaly: anomaly[i], Priority: Priority(riskScores[i], anomaly[i]),
		}
		if contrib != nil {
			c := contrib[i*m.Cols : (i+1)*m.Cols]
			sc.Reasons = models.TopReasons(names, m.Row(i), c, opts.Reasons)
			out.Contributions[id] = c
		}
		out.Scores = append(out.Scores, sc)
	}
	sort.SliceStable(out.Scores, func(i, j int) bool { return out.Scores[i].Priority > out.Scores[j].Priority })
	return out, nil
}

func scoreAndExplain(m *models.Model, x *Matrix) ([]float32, []float32, error) {
	rows := len(x.Assets)
	sc, err := models.NewScorer(m, models.ScorerOptions{})
	if err != nil {
		return nil, nil, err
	}
	defer sc.Close()
	scores := make([]float32, rows)
	if err := sc.Score(x.X, rows, scores); err != nil {
		return nil, nil, err
	}
	ex, err := models.NewExplainer(m, sc)
	if err != nil || rows == 0 {
		return scores, nil, nil // no explanation is better than no score
	}
	ref := make([]float32, x.Cols)
	for i := 0; i < rows; i++ {
		for f, v := range x.Row(i) {
			ref[f] += v / float32(rows)
		}
	}
	contrib := make([]float32, rows*x.Cols)
	for i := 0; i < rows; i++ {
		e, err := ex.Explain(x.Row(i), ref)
		if err != nil {
			return nil, nil, err
		}
		copy(contrib[i*x.Cols:], e.Contributions)
	}
	return scores, contrib, nil
}

// WriteScores stores scores in the scores table, one file per as_of and model version.
func WriteScores(w *datasets.Writer, scored *Scored) error {
	if len(scored.Scores) == 0 {
		return nil
	}
	asOf := scored.Scores[0].AsOf
	rec := datasets.ScoresRecord(w.Store().Allocator(), scored.Scores)
	defer rec.Release()
	id := fmt.Sprintf("%s-%s-%s", asOf.UTC().Format("20060102T150405Z"), scored.RiskCard.Name, scored.RiskCard.Version)
	return w.WriteTable(datasets.TableScores, dayPartition(asOf), id, rec)
}

func splitModel(s string) (string, string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '@' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}
