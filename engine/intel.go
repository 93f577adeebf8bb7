package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/intel"
)

// IntelImport is what an intel import wrote.
type IntelImport struct {
	File    string `json:"file"`
	Kind    string `json:"kind"`
	Rows    int    `json:"rows"`
	Version string `json:"version,omitempty"` // KEV catalog version or EPSS model version
	Date    string `json:"date,omitempty"`    // KEV release or EPSS score date
	Already bool   `json:"already_imported"`
}

// ImportKEV reads a CISA KEV catalog (JSON or CSV) and stores it as the kev table.
func ImportKEV(ctx context.Context, w *datasets.Writer, name string, data []byte) (IntelImport, error) {
	k, err := intel.ReadKEV(name, bytes.NewReader(data))
	if err != nil {
		return IntelImport{File: name, Kind: "kev"}, err
	}
	res := IntelImport{File: name, Kind: "kev", Rows: len(k.Entries), Version: k.Version}
	if !k.Released.IsZero() {
		res.Date = k.Released.Format("2006-01-02")
	}
	id := contentID(data)
	if have, err := w.Store().Has(datasets.TableKEV, id); err != nil || have {
		res.Already = have
		return res, err
	}
	b := array.NewRecordBuilder(w.Store().Allocator(), datasets.KEVSchema)
	defer b.Release()
	for _, e := range k.Entries {
		b.Field(0).(*array.StringBuilder).Append(e.CVE)
		b.Field(1).(*array.StringBuilder).Append(e.VendorProject)
		b.Field(2).(*array.StringBuilder).Append(e.Product)
		b.Field(3).(*array.StringBuilder).Append(e.Name)
		appendTime(b.Field(4).(*array.TimestampBuilder), e.DateAdded)
		appendTime(b.Field(5).(*array.TimestampBuilder), e.DueDate)
		b.Field(6).(*array.StringBuilder).Append(e.Ransomware)
		lb := b.Field(7).(*array.ListBuilder)
		lb.Append(true)
		for _, c := range e.CWEs {
			lb.ValueBuilder().(*array.StringBuilder).Append(c)
		}
		b.Field(8).(*array.StringBuilder).Append(k.Version)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return res, w.WriteTable(datasets.TableKEV, "", id, rec)
}

// ImportEPSS reads a FIRST EPSS CSV (plain or gzip) and stores it in the epss table,
// partitioned by score date.
func ImportEPSS(ctx context.Context, w *datasets.Writer, name string, data []byte) (IntelImport, error) {
	e, err := intel.ReadEPSS(name, bytes.NewReader(data))
	if err != nil {
		return IntelImport{File: name, Kind: "epss"}, err
	}
	res := IntelImport{File: name, Kind: "epss", Rows: len(e.Scores), Version: e.ModelVersion}
	part := "score_date=unknown"
	if !e.ScoreDate.IsZero() {
		res.Date = e.ScoreDate.Format("2006-01-02")
		part = "score_date=" + res.Date
	}
	id := contentID(data)
	if have, err := w.Store().Has(datasets.TableEPSS, id); err != nil || have {
		res.Already = have
		return res, err
	}
	cves := make([]string, 0, len(e.Scores))
	for c := range e.Scores {
		cves = append(cves, c)
	}
	sort.Strings(cves)
	b := array.NewRecordBuilder(w.Store().Allocator(), datasets.EPSSSchema)
	defer b.Release()
	for _, c := range cves {
		s := e.Scores[c]
		b.Field(0).(*array.StringBuilder).Append(c)
		b.Field(1).(*array.Float64Builder).Append(s.EPSS)
		b.Field(2).(*array.Float64Builder).Append(s.Percentile)
		b.Field(3).(*array.StringBuilder).Append(e.ModelVersion)
		appendTime(b.Field(4).(*array.TimestampBuilder), e.ScoreDate)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return res, w.WriteTable(datasets.TableEPSS, part, id, rec)
}

// LoadKEV reads the kev table: every catalog imported, one entry per CVE (the newest
// catalog's). It returns nil when none was imported.
func LoadKEV(ctx context.Context, s *datasets.Store) (*intel.KEV, error) {
	byCVE := map[string]intel.KEVEntry{}
	version := ""
	err := s.Scan(ctx, datasets.TableKEV, datasets.ScanOptions{}, func(f datasets.File, rec arrow.RecordBatch) error {
		cve, ok1 := rec.Column(0).(*array.String)
		vp, ok2 := rec.Column(1).(*array.String)
		prod, ok3 := rec.Column(2).(*array.String)
		name, ok4 := rec.Column(3).(*array.String)
		added, ok5 := rec.Column(4).(*array.Timestamp)
		ver, ok6 := rec.Column(8).(*array.String)
		if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
			return fmt.Errorf("%s: not the kev schema", f.Path)
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			e := intel.KEVEntry{CVE: cve.Value(i), VendorProject: vp.Value(i), Product: prod.Value(i), Name: name.Value(i)}
			if !added.IsNull(i) {
				e.DateAdded = added.Value(i).ToTime(arrow.Microsecond).UTC()
			}
			if ver.Value(i) >= version {
				version = ver.Value(i)
			}
			byCVE[e.CVE] = e
		}
		return nil
	})
	if err != nil || len(byCVE) == 0 {
		return nil, err
	}
	k := &intel.KEV{Version: version}
	for _, e := range byCVE {
		k.Entries = append(k.Entries, e)
	}
	sort.Slice(k.Entries, func(i, j int) bool { return k.Entries[i].CVE < k.Entries[j].CVE })
	return k, nil
}

// LoadEPSS reads the newest score date's EPSS scores, or nil when none were imported.
func LoadEPSS(ctx context.Context, s *datasets.Store) (*intel.EPSS, error) {
	files, err := s.Files(datasets.TableEPSS)
	if err != nil || len(files) == 0 {
		return nil, err
	}
	latest := files[len(files)-1].Partition // partitions sort by date
	e := &intel.EPSS{Scores: map[string]intel.EPSSScore{}}
	err = s.Scan(ctx, datasets.TableEPSS, datasets.ScanOptions{Filter: func(f datasets.File) bool { return f.Partition == latest }},
		func(f datasets.File, rec arrow.RecordBatch) error {
			cve, ok1 := rec.Column(0).(*array.String)
			p, ok2 := rec.Column(1).(*array.Float64)
			pct, ok3 := rec.Column(2).(*array.Float64)
			mv, ok4 := rec.Column(3).(*array.String)
			if !(ok1 && ok2 && ok3 && ok4) {
				return fmt.Errorf("%s: not the epss schema", f.Path)
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				e.Scores[cve.Value(i)] = intel.EPSSScore{EPSS: p.Value(i), Percentile: pct.Value(i)}
				e.ModelVersion = mv.Value(i)
			}
			return nil
		})
	return e, err
}

func appendTime(b *array.TimestampBuilder, t time.Time) {
	if t.IsZero() {
		b.AppendNull()
		return
	}
	b.Append(arrow.Timestamp(t.UnixMicro()))
}

func contentID(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}
