package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/riskmap/riskmap/datasets"
)

// tableSink writes record batches in one format.
type tableSink interface {
	write(rec arrow.RecordBatch) error
	close() error
}

func (m *Main) runExport(ctx context.Context, args []string) error {
	fs := m.flags("export", "TABLE --format parquet|arrow|csv|jsonl [-o FILE]", "Write every row of a table as one file (standard output without -o).\nLists and structs become JSON text in csv.")
	format := fs.String("format", "jsonl", "parquet, arrow (IPC file), csv or jsonl")
	outPath := fs.String("o", "", "output `FILE` (default standard output)")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("want exactly one TABLE (one of %v)", datasets.TableNames())
	}
	table := fs.Arg(0)
	known := false
	for _, t := range datasets.TableNames() {
		known = known || t == table
	}
	if !known {
		return usageError("table %q: want one of %v", table, datasets.TableNames())
	}
	switch *format {
	case "parquet", "arrow", "csv", "jsonl":
	default:
		return usageError("--format %q: want parquet, arrow, csv or jsonl", *format)
	}
	s, err := m.store()
	if err != nil {
		return err
	}
	var out io.Writer = m.Stdout
	var file *os.File
	if *outPath != "" && *outPath != "-" {
		file, err = os.Create(*outPath)
		if err != nil {
			return err
		}
		defer file.Close()
		out = file
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	var sink tableSink
	var schema *arrow.Schema
	rows := 0
	err = s.Scan(ctx, table, datasets.ScanOptions{}, func(f datasets.File, rec arrow.RecordBatch) error {
		if schema == nil {
			schema = rec.Schema()
			sink, err = newSink(*format, bw, schema)
			if err != nil {
				return err
			}
		} else if !schema.Equal(rec.Schema()) {
			return fmt.Errorf("%s: its schema differs from the table's first file; export a table of one schema version", f.Path)
		}
		rows += int(rec.NumRows())
		return sink.write(rec)
	})
	if err != nil {
		return err
	}
	if sink == nil {
		sc, serr := datasets.Schema(table)
		if serr != nil {
			return fmt.Errorf("table %s is empty and has no fixed schema", table)
		}
		if sink, err = newSink(*format, bw, sc); err != nil {
			return err
		}
	}
	if err := sink.close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if file != nil {
		if err := file.Sync(); err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "wrote %d rows of %s to %s\n", rows, table, *outPath)
	}
	return nil
}

// reorder moves flags after positional arguments to the front, so that
// `riskmap export scans --format csv` works as users type it.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && takesValue(a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func takesValue(flag string) bool {
	switch flag {
	case "--json", "-json", "--force", "-force", "--once", "-once", "-h", "--help", "-help":
		return false
	}
	return true
}

func newSink(format string, w io.Writer, schema *arrow.Schema) (tableSink, error) {
	switch format {
	case "parquet":
		// arrow-go's Parquet writer panics on some failed writes (a full disk): every call
		// into it is guarded, so that the export fails with an error instead.
		var fw *pqarrow.FileWriter
		err := datasets.GuardParquet("export", w, func(sink io.Writer) (err error) {
			fw, err = pqarrow.NewFileWriter(schema, sink,
				parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd)),
				pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
			return err
		})
		if err != nil {
			return nil, err
		}
		return parquetSink{fw}, nil
	case "arrow":
		iw, err := ipc.NewFileWriter(w, ipc.WithSchema(schema))
		if err != nil {
			return nil, err
		}
		return ipcSink{iw}, nil
	case "csv":
		cw := csv.NewWriter(w)
		header := make([]string, schema.NumFields())
		for i, f := range schema.Fields() {
			header[i] = f.Name
		}
		return &csvSink{w: cw}, cw.Write(header)
	default:
		return &jsonlSink{w: w, schema: schema}, nil
	}
}

type parquetSink struct{ fw *pqarrow.FileWriter }

func (p parquetSink) write(rec arrow.RecordBatch) error {
	return datasets.GuardParquet("export", io.Discard, func(io.Writer) error { return p.fw.WriteBuffered(rec) })
}

func (p parquetSink) close() error {
	return datasets.GuardParquet("export", io.Discard, func(io.Writer) error { return p.fw.Close() })
}

type ipcSink struct{ w *ipc.FileWriter }

func (p ipcSink) write(rec arrow.RecordBatch) error { return p.w.Write(rec) }
func (p ipcSink) close() error                      { return p.w.Close() }

type csvSink struct{ w *csv.Writer }

func (c *csvSink) write(rec arrow.RecordBatch) error {
	row := make([]string, rec.NumCols())
	for i := 0; i < int(rec.NumRows()); i++ {
		for j := range row {
			col := rec.Column(j)
			if col.IsNull(i) {
				row[j] = ""
				continue
			}
			switch col.DataType().ID() {
			case arrow.LIST, arrow.STRUCT:
				b, err := json.Marshal(col.GetOneForMarshal(i))
				if err != nil {
					return err
				}
				row[j] = string(b)
			default:
				row[j] = col.ValueStr(i)
			}
		}
		if err := c.w.Write(row); err != nil {
			return err
		}
	}
	return nil
}

func (c *csvSink) close() error { c.w.Flush(); return c.w.Error() }

type jsonlSink struct {
	w      io.Writer
	schema *arrow.Schema
}

func (j *jsonlSink) write(rec arrow.RecordBatch) error {
	enc := json.NewEncoder(j.w)
	row := make(map[string]any, rec.NumCols())
	for i := 0; i < int(rec.NumRows()); i++ {
		for c, f := range rec.Schema().Fields() {
			row[f.Name] = rec.Column(c).GetOneForMarshal(i)
		}
		if err := enc.Encode(row); err != nil {
			return err
		}
	}
	return nil
}

func (j *jsonlSink) close() error { return nil }
