package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/training"
)

func (m *Main) importModel(ctx context.Context, ws, path, kind, featureList, name string, asJSON bool) error {
	if kind != models.KindRisk && kind != models.KindAnomaly {
		return usageError("--kind %q: want risk or anomaly", kind)
	}
	var names []string
	if featureList != "" {
		for _, f := range strings.Split(featureList, ",") {
			names = append(names, strings.TrimSpace(f))
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	w, err := m.writer()
	if err != nil {
		return err
	}
	defer w.Close()
	res, err := training.ImportModel(ctx, w, b, name, kind, names, time.Now())
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	if asJSON {
		return m.printJSON(res)
	}
	fmt.Fprintf(m.Stdout, "imported %s as %s@%s (not current: `riskmap models promote %s@%s` when it is better)\n", path, res.Card.Name, res.Card.Version, res.Card.Name, res.Card.Version)
	printCard(m, res.Card)
	return nil
}
