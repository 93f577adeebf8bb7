package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/features"
	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/training"
)

func (m *Main) runScore(ctx context.Context, args []string) error {
	fs := m.flags("score", "[--model NAME[@VERSION]] [--anomaly NAME[@VERSION]|-] [--as-of TIME] [--top K] [--json] [-o FILE] [--explain ASSET] [--engine auto|native|onnxruntime]",
		"Score every asset with the risk and anomaly models and write the scores table\n(risk, anomaly, priority, reasons). Tree ensembles run on riskmap's native\nevaluator, other models on onnxruntime; --engine forces one. --explain prints\nwhy one asset scored as it did: each feature's contribution.")
	model := fs.String("model", "risk", "risk model, NAME or NAME@VERSION")
	anomaly := fs.String("anomaly", "anomaly", "anomaly model, or - for none")
	asOf := fs.String("as-of", "", "score as of this RFC 3339 time (default now)")
	top := fs.Int("top", 20, "rows to print (0 = all)")
	asJSON := fs.Bool("json", false, "print JSON lines")
	out := fs.String("o", "", "also write the scores as JSON lines to FILE")
	explain := fs.String("explain", "", "explain this asset's score")
	engineName := fs.String("engine", "auto", "what runs the models: auto (native for tree ensembles), native or onnxruntime")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	eng, err := models.ParseEngine(*engineName)
	if err != nil {
		return usageError("--engine: %v", err)
	}
	at := time.Now().UTC()
	if *asOf != "" {
		t, err := time.Parse(time.RFC3339, *asOf)
		if err != nil {
			return usageError("--as-of %q: want RFC 3339, e.g. 2026-11-22T10:00:00Z", *asOf)
		}
		at = t
	}
	w, err := m.writer()
	if err != nil {
		return err
	}
	defer w.Close()
	if err := training.EnsureModels(w); err != nil {
		return err
	}
	cfg, err := engine.LoadConfig(w.Store().Dir)
	if err != nil {
		return err
	}
	scored, err := models.Score(ctx, w.Store(), models.ScoreOptions{AsOf: at, Risk: *model, Anomaly: *anomaly, Explain: *explain, Engine: eng, Priority: cfg.Planner.Objective().Priority})
	if err != nil {
		return err
	}
	if err := models.WriteScores(w, scored); err != nil {
		return err
	}
	if *explain != "" {
		return m.printExplanation(scored, *explain, *asJSON)
	}
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(f)
		for _, s := range scored.Scores {
			enc.Encode(scoreJSON(s))
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	list := scored.Scores
	if *top > 0 && len(list) > *top {
		list = list[:*top]
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		for _, s := range list {
			if err := enc.Encode(scoreJSON(s)); err != nil {
				return err
			}
		}
		return nil
	}
	fmt.Fprintf(m.Stdout, "%d assets scored with %s@%s (%s) as of %s\n", len(scored.Scores), scored.RiskCard.Name, scored.RiskCard.Version, scored.RiskEngine, at.Format(time.RFC3339))
	for _, n := range scored.EngineNotes {
		fmt.Fprintln(m.Stdout, "  "+n)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ASSET\tPRIORITY\tRISK\tANOMALY\tWHY")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%s\n", s.AssetID, s.Priority, s.Risk, s.Anomaly, strings.Join(why(s), "; "))
	}
	return tw.Flush()
}

func (m *Main) printExplanation(scored *models.Scored, asset string, asJSON bool) error {
	ex := scored.Explained
	if ex == nil {
		for _, s := range scored.Scores {
			if s.AssetID == asset {
				return fmt.Errorf("the risk model %s@%s gives no explanation", scored.RiskCard.Name, scored.RiskCard.Version)
			}
		}
		return fmt.Errorf("asset %q is not in the inventory as of %s", asset, scored.AsOf.Format(time.RFC3339))
	}
	var sc any
	for _, s := range scored.Scores {
		if s.AssetID == asset {
			sc = scoreJSON(s)
		}
	}
	spec := features.Spec()
	type item struct {
		Feature      string  `json:"feature"`
		Value        float32 `json:"value"`
		Contribution float32 `json:"contribution"`
		Doc          string  `json:"doc"`
	}
	var items []item
	for f, c := range ex.Contributions {
		if c != 0 {
			items = append(items, item{spec[f].Name, ex.Row[f], c, spec[f].Doc})
		}
	}
	sortByMagnitude(items, func(i item) float32 { return i.Contribution })
	if asJSON {
		return m.printJSON(map[string]any{"score": sc, "method": ex.Method, "contributions": items})
	}
	b, _ := json.Marshal(sc)
	fmt.Fprintf(m.Stdout, "%s\nmethod: %s (contributions to the risk margin)\n", b, ex.Method)
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FEATURE\tVALUE\tCONTRIBUTION\tMEANING")
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%g\t%+.4f\t%s\n", it.Feature, it.Value, it.Contribution, it.Doc)
	}
	return tw.Flush()
}
