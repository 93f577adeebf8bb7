package models

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

// ScoreOptions choose the models and the time.
type ScoreOptions struct {
	AsOf    time.Time
	Risk    string // "name" or "name@version"; "" means "risk"
	Anomaly string // "" means "anomaly"; "-" means no anomaly model
	Reasons int    // top features to keep per asset (0 means 3)
	// Explain keeps the feature row and every contribution of this asset.
	Explain string
	// BatchRows is the rows handed to onnxruntime at a time (0: datasets.DefaultBatchRows).
	BatchRows int
	// Engine forces the engine of both models (EngineAuto: native for tree ensembles).
	Engine Engine
	// Priority ranks an asset by its risk and anomaly: scanner.Objective.Priority, so that
	// scores rank as the planner does (nil: the risk alone).
	Priority func(risk, anomaly float32) float32
	// Estate is the estate to score, already read (its AsOf replaces AsOf); nil means the
	// estate as of AsOf, read here.
	Estate *features.Estate
}

// Scored is the scores of one run, most urgent first.
type Scored struct {
	AsOf        time.Time
	Scores      []riskmap.Score
	RiskCard    Card
	AnomalyCard *Card
	// Explained is set when ScoreOptions.Explain named an asset of the inventory.
	Explained *AssetExplanation
	// RiskEngine and AnomalyEngine say what computed the scores (WriteScores records them);
	// EngineNotes says why a model runs on onnxruntime when the choice was automatic.
	RiskEngine, AnomalyEngine Engine
	EngineNotes               []string
}

// AssetExplanation is one asset's feature row and each feature's contribution to its risk.
type AssetExplanation struct {
	AssetID       string
	Method        string
	Row           []float32
	Contributions []float32
}

// Score scores every asset as of opts.AsOf with the current (or named) models through
// onnxruntime, explains the risk score (Saabas paths for riskmap's tree models, perturbation
// otherwise), and returns the scores sorted by opts.Priority. Features stream from features.Build
// in batches straight into the reused onnxruntime sessions, so memory holds one batch of
// features, not the table.
func Score(ctx context.Context, s *datasets.Store, opts ScoreOptions) (*Scored, error) {
	if opts.Estate != nil {
		opts.AsOf = opts.Estate.AsOf
	}
	if opts.AsOf.IsZero() {
		opts.AsOf = time.Now().UTC()
	}
	if opts.Risk == "" {
		opts.Risk = KindRisk
	}
	if opts.Anomaly == "" {
		opts.Anomaly = KindAnomaly
	}
	if opts.Reasons == 0 {
		opts.Reasons = 3
	}
	priority := opts.Priority
	if priority == nil {
		priority = func(risk, _ float32) float32 { return risk }
	}
	names := features.Names()
	reg := OpenRegistry(s.Dir)
	name, version := splitModel(opts.Risk)
	risk, riskCard, err := reg.Get(name, version)
	if err != nil {
		return nil, fmt.Errorf("risk model: %w (train one with `riskmap train risk`; `riskmap cycle` installs the bundled default)", err)
	}
	if err := risk.CheckFeatures(names, features.Version); err != nil {
		return nil, fmt.Errorf("risk model %s@%s: %w", riskCard.Name, riskCard.Version, err)
	}
	sopts := ScorerOptions{BatchRows: opts.BatchRows, Engine: opts.Engine}
	riskScorer, err := NewScorer(risk, sopts)
	if err != nil {
		return nil, fmt.Errorf("risk model %s@%s: %w", riskCard.Name, riskCard.Version, err)
	}
	defer riskScorer.Close()
	explainer, _ := NewExplainer(risk, riskScorer) // no explanation is better than no score
	out := &Scored{AsOf: opts.AsOf, RiskCard: riskCard}
	out.noteEngine(riskScorer, &out.RiskEngine)
	var anomalyScorer *Scorer
	if opts.Anomaly != "-" {
		an, ver := splitModel(opts.Anomaly)
		am, ac, err := reg.Get(an, ver)
		switch {
		case errors.Is(err, ErrNotFound), errors.Is(err, ErrNoCurrent):
		case err != nil:
			return nil, err
		default:
			if err := am.CheckFeatures(names, features.Version); err != nil {
				return nil, fmt.Errorf("anomaly model %s@%s: %w", ac.Name, ac.Version, err)
			}
			if anomalyScorer, err = NewScorer(am, sopts); err != nil {
				return nil, fmt.Errorf("anomaly model %s@%s: %w", ac.Name, ac.Version, err)
			}
			defer anomalyScorer.Close()
			out.AnomalyCard = &ac
			out.noteEngine(anomalyScorer, &out.AnomalyEngine)
		}
	}
	cols := len(names)
	var x, riskOut, anomalyOut, ref []float32
	est := opts.Estate
	if est == nil {
		if est, err = features.LoadEstate(ctx, s, features.BuildOptions{AsOf: opts.AsOf, BatchRows: opts.BatchRows}); err != nil {
			return nil, err
		}
	}
	_, err = est.Features(ctx, func(rec arrow.RecordBatch) error {
		ids, n, err := features.RowMajor(rec, names, &x)
		if err != nil {
			return err
		}
		riskOut, anomalyOut = grow(riskOut, n), grow(anomalyOut, n)
		if err := riskScorer.Score(x, n, riskOut); err != nil {
			return err
		}
		if anomalyScorer != nil {
			if err := anomalyScorer.Score(x, n, anomalyOut); err != nil {
				return err
			}
		} else {
			clear(anomalyOut)
		}
		if ref == nil && n > 0 {
			// The perturbation reference: the first batch's column means (a Saabas
			// explanation does not use it).
			ref = make([]float32, cols)
			for i := 0; i < n; i++ {
				for f := 0; f < cols; f++ {
					ref[f] += x[i*cols+f] / float32(n)
				}
			}
		}
		for i, id := range ids {
			row := x[i*cols : (i+1)*cols]
			sc := riskmap.Score{
				AssetID: id, AsOf: opts.AsOf, Model: riskCard.Name, ModelVersion: riskCard.Version,
				Risk: riskOut[i], Anomaly: anomalyOut[i], Priority: priority(riskOut[i], anomalyOut[i]),
			}
			if explainer != nil {
				e, err := explainer.Explain(row, ref)
				if err != nil {
					return err
				}
				sc.Reasons = TopReasons(names, row, e.Contributions, opts.Reasons)
				sc.Why = features.Why(row, e.Contributions, opts.Reasons)
				if id == opts.Explain {
					out.Explained = &AssetExplanation{AssetID: id, Method: e.Method, Row: append([]float32(nil), row...), Contributions: append([]float32(nil), e.Contributions...)}
				}
			}
			out.Scores = append(out.Scores, sc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Highest priority first, ties by asset id: scanner.Compare's order.
	sort.SliceStable(out.Scores, func(i, j int) bool {
		a, b := out.Scores[i], out.Scores[j]
		return a.Priority > b.Priority || (a.Priority == b.Priority && a.AssetID < b.AssetID)
	})
	return out, nil
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// WriteScores stores scores in the scores table, one file per as_of and model version.
func WriteScores(w *datasets.Writer, scored *Scored) error {
	if len(scored.Scores) == 0 {
		return nil
	}
	asOf := scored.AsOf
	rec := withEngines(datasets.ScoresRecord(w.Store().Allocator(), scored.Scores), scored)
	defer rec.Release()
	id := fmt.Sprintf("%s-%s-%s", asOf.UTC().Format("20060102T150405Z"), scored.RiskCard.Name, scored.RiskCard.Version)
	return w.WriteTable(datasets.TableScores, datasets.DayPartition(asOf), id, rec)
}

func splitModel(s string) (string, string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '@' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}
