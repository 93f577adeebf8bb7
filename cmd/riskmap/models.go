package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/riskmap/riskmap/models"
)

func (m *Main) runModels(ctx context.Context, args []string) error {
	fs := m.flags("models", "list|show NAME[@VERSION]|promote NAME@VERSION [--force]|import FILE.onnx --kind risk|anomaly --features NAMES [--json]",
		"Manage the model registry (models/<name>/<version>/ in the workspace).\npromote moves CURRENT only when the version beats the current one on the same\nheld-out data; --force overrides that and the card records it.\nimport stamps the riskmap contract onto an ONNX model made elsewhere (sklearn\nvia skl2onnx with zipmap=False, PyTorch), checks it and evaluates it.")
	asJSON := fs.Bool("json", false, "print JSON")
	force := fs.Bool("force", false, "promote even when not better (recorded in the card)")
	metric := fs.String("metric", models.DefaultPromoteMetric, "metric that decides promotion")
	kind := fs.String("kind", "", "import: risk or anomaly")
	featureList := fs.String("features", "", "import: the model's input features in order, comma-separated (default: the current feature spec)")
	name := fs.String("name", "", "import: registry name (default: the kind)")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("want list, show, promote or import")
	}
	s, err := m.store()
	if err != nil {
		return err
	}
	reg := models.OpenRegistry(s.Dir)
	switch fs.Arg(0) {
	case "list":
		cards, err := reg.List()
		if err != nil {
			return err
		}
		if *asJSON {
			return m.printJSON(cards)
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tVERSION\tCURRENT\tKIND\tALGO\tROWS\tPR_AUC\tROC_AUC\tCATCH@10%\tCREATED")
		for _, c := range cards {
			cur, _ := reg.Current(c.Name)
			mark := ""
			if cur == c.Version {
				mark = "*"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", c.Name, c.Version, mark, c.Kind, c.Algo, c.Rows,
				metricStr(c, "pr_auc"), metricStr(c, "roc_auc"), metricStr(c, "catch_rate@10"), c.CreatedAt.Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	case "show":
		if fs.NArg() != 2 {
			return usageError("models show NAME[@VERSION]")
		}
		n, v := splitVersion(fs.Arg(1))
		_, card, err := reg.Get(n, v)
		if err != nil {
			return err
		}
		if *asJSON {
			return m.printJSON(card)
		}
		printCard(m, card)
		return nil
	case "promote":
		if fs.NArg() != 2 || !strings.Contains(fs.Arg(1), "@") {
			return usageError("models promote NAME@VERSION [--force]")
		}
		n, v := splitVersion(fs.Arg(1))
		w, err := s.Writer()
		if err != nil {
			return err
		}
		defer w.Close()
		if err := reg.Promote(n, v, *metric, *force); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s@%s is now current\n", n, v)
		return nil
	case "import":
		if fs.NArg() != 2 {
			return usageError("models import FILE.onnx --kind risk|anomaly [--features a,b,c]")
		}
		return m.importModel(ctx, s.Dir, fs.Arg(1), *kind, *featureList, *name, *asJSON)
	}
	return usageError("models %q: want list, show, promote or import", fs.Arg(0))
}

func splitVersion(s string) (string, string) {
	n, v, _ := strings.Cut(s, "@")
	return n, v
}

func metricStr(c models.Card, name string) string {
	v, ok := c.Metric(name)
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

func printCard(m *Main, c models.Card) {
	fmt.Fprintf(m.Stdout, "%s@%s  kind %s  algo %s  features v%s (%d)\n", c.Name, c.Version, c.Kind, c.Algo, c.FeatureVersion, len(c.Features))
	fmt.Fprintf(m.Stdout, "trained on %d rows (label rate %.3f), %s .. %s, seed %d, %.1fs\n", c.Rows, c.LabelRate,
		c.DataWindow.From.Format("2006-01-02 15:04"), c.DataWindow.To.Format("2006-01-02 15:04"), c.Seed, c.TrainingSeconds)
	keys := make([]string, 0, len(c.Metrics))
	for k := range c.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(m.Stdout, "held-out %s\n%-16s %8s %8s\n", c.HeldOut, "metric", "model", "rules")
	for _, k := range keys {
		base := "-"
		if b, ok := c.Baseline[k]; ok {
			base = fmt.Sprintf("%.4f", b)
		}
		fmt.Fprintf(m.Stdout, "%-16s %8.4f %8s\n", k, c.Metrics[k], base)
	}
	for _, n := range c.Notes {
		fmt.Fprintf(m.Stdout, "note: %s\n", n)
	}
}
