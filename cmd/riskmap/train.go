package main

import (
	"context"
	"fmt"

	"github.com/riskmap/riskmap/training"
)

func (m *Main) runTrain(ctx context.Context, args []string) error {
	fs := m.flags("train", "risk|anomaly [--algo gbdt|logreg|iforest] [--seed N] [--promote] [--json]",
		"Train a model on the workspace's history, split by time (the latest as_of point is\nheld out), evaluate it against the rules baseline on the held-out rows (ROC-AUC,\nPR-AUC, Brier, calibration, catch-rate@k), register it with its card, and with\n--promote make it current only if it beats the current version on the same data.")
	algo := fs.String("algo", "", "gbdt (risk default), logreg, or iforest (anomaly default)")
	seed := fs.Int64("seed", 1, "random seed (training is deterministic for a seed)")
	promote := fs.Bool("promote", false, "promote when better than the current version")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 || (fs.Arg(0) != "risk" && fs.Arg(0) != "anomaly") {
		return usageError("train risk or train anomaly")
	}
	w, err := m.writer()
	if err != nil {
		return err
	}
	defer w.Close()
	pts, err := training.Points(ctx, w.Store())
	if err != nil {
		return err
	}
	m.progress("building features at %d as_of points", len(pts))
	h, err := training.BuildHistory(ctx, w.Store(), pts)
	m.progressDone()
	if err != nil {
		return err
	}
	res, err := training.Train(ctx, w, h, training.TrainOptions{Kind: fs.Arg(0), Algo: *algo, Seed: *seed, Promote: *promote})
	if err != nil {
		return err
	}
	if *asJSON {
		return m.printJSON(res)
	}
	printCard(m, res.Card)
	fmt.Fprintf(m.Stdout, "promoted: %v (%s)\n", res.Promoted, res.Why)
	return nil
}
