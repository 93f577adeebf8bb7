package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/riskmap/riskmap/features"
)

func (m *Main) runFeatures(ctx context.Context, args []string) error {
	fs := m.flags("features", "describe [--json] | build [--as-of TIME]",
		"describe prints the feature spec: every feature's name, unit, group and meaning,\nin model input order (version "+features.Version+").\nbuild computes one row per asset as of a time (default now) into the features\ntable, from assets, observations, findings, intel and diffs, never reading\nanything after that time. Building the same time twice with unchanged inputs\nchanges nothing.")
	asJSON := fs.Bool("json", false, "print JSON")
	asOf := fs.String("as-of", "", "RFC 3339 time (default now)")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("features describe or features build")
	}
	switch fs.Arg(0) {
	case "describe":
		spec := features.Spec()
		if *asJSON {
			return m.printJSON(map[string]any{"version": features.Version, "features": spec})
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "#\tFEATURE\tUNIT\tGROUP\tMEANING\n")
		for i, f := range spec {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", i, f.Name, f.Unit, f.Group, f.Doc)
		}
		return tw.Flush()
	case "build":
		at := time.Now().UTC()
		if *asOf != "" {
			t, err := time.Parse(time.RFC3339, *asOf)
			if err != nil {
				return usageError("--as-of %q: want RFC 3339", *asOf)
			}
			at = t
		}
		w, err := m.writer()
		if err != nil {
			return err
		}
		defer w.Close()
		rows, err := features.WriteFeatures(ctx, w, at, nil)
		if err != nil {
			return err
		}
		if *asJSON {
			return m.printJSON(map[string]any{"as_of": at, "rows": rows, "feature_version": features.Version, "partition": features.Partition(at)})
		}
		fmt.Fprintf(m.Stdout, "features as of %s: %d assets x %d features (version %s) in tables/features/%s\n", at.Format(time.RFC3339), rows, len(features.Spec()), features.Version, features.Partition(at))
		return nil
	}
	return usageError("features %q: want describe or build", fs.Arg(0))
}
