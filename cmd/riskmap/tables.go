package main

import (
	"context"
	"fmt"
	"text/tabwriter"
)

func (m *Main) runTables(ctx context.Context, args []string) error {
	fs := m.flags("tables", "[--json]", "List the workspace's tables with their rows, files and partitions.\nEvery table is Parquet under tables/<table>/**/*.parquet: DuckDB, pandas and\npolars read it as it is.")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	s, err := m.store()
	if err != nil {
		return err
	}
	infos, err := s.Tables()
	if err != nil {
		return err
	}
	if *asJSON {
		return m.printJSON(infos)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\trows\tfiles\tpartitions\tbytes\t")
	for _, t := range infos {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", t.Name, t.Rows, t.Files, t.Partitions, t.Bytes)
	}
	return tw.Flush()
}
