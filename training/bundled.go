package training

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"path"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/ingest"
	"github.com/riskmap/riskmap/models"
)

// The bundled default models let riskmap score out of the box. They are trained on the
// history of a seeded synthetic estate (BundledEstate, BundledEpochs epochs); TestBundledModels
// retrains them with the same seed and checks the result is byte for byte what is shipped
// (`go test ./training -run TestBundledModels -update` rewrites them).
//
//go:embed bundled
var bundled embed.FS

// Settings of the bundled models' training data.
const (
	BundledEpochs = 6
	BundledSeed   = 7
)

// BundledEstate is the estate the bundled models learn from.
func BundledEstate() estate.Config {
	cfg := estate.DefaultConfig()
	cfg.Seed = 1042
	cfg.Hosts = 300
	return cfg
}

// TrainBundled trains the default models into the workspace of w from a simulated history
// and returns their registry versions.
func TrainBundled(ctx context.Context, w *datasets.Writer) (map[string]TrainResult, error) {
	if _, err := ingest.Simulate(ctx, w, BundledEstate(), BundledEpochs); err != nil {
		return nil, err
	}
	pts, err := Points(ctx, w.Store())
	if err != nil {
		return nil, err
	}
	h, err := BuildHistory(ctx, w.Store(), pts)
	if err != nil {
		return nil, err
	}
	out := map[string]TrainResult{}
	for _, kind := range []string{models.KindRisk, models.KindAnomaly} {
		res, err := Train(ctx, w, h, TrainOptions{Kind: kind, Seed: BundledSeed, Promote: true})
		if err != nil {
			return nil, fmt.Errorf("train bundled %s: %w", kind, err)
		}
		out[kind] = res
	}
	return out, nil
}

// BundledModel returns a shipped default model and its card.
func BundledModel(kind string) ([]byte, []byte, error) {
	b, err := bundled.ReadFile(path.Join("bundled", kind, models.ModelFile))
	if err != nil {
		return nil, nil, err
	}
	c, err := bundled.ReadFile(path.Join("bundled", kind, models.CardFile))
	return b, c, err
}

// EnsureModels installs the bundled default risk and anomaly models into the workspace's
// registry when it has no current version of them, so a new workspace scores at once.
func EnsureModels(w *datasets.Writer) error {
	reg := models.OpenRegistry(w.Store().Dir)
	for _, kind := range []string{models.KindRisk, models.KindAnomaly} {
		_, err := reg.Current(kind)
		if err == nil {
			continue
		}
		if !errors.Is(err, models.ErrNoCurrent) && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		onnx, cardJSON, err := BundledModel(kind)
		if err != nil {
			return fmt.Errorf("bundled %s model: %w", kind, err)
		}
		card, err := models.ParseCard(cardJSON)
		if err != nil {
			return fmt.Errorf("bundled %s card: %w", kind, err)
		}
		card.Notes = append(card.Notes, "bundled default model, trained on a synthetic estate (riskmap training.TrainBundled)")
		v, err := reg.Register(kind, onnx, card)
		if err != nil {
			return err
		}
		if err := reg.Promote(kind, v, "", false); err != nil {
			return err
		}
	}
	return nil
}
