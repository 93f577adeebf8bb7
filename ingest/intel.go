package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"

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
	rows := make([]datasets.KEVRow, len(k.Entries))
	for i, e := range k.Entries {
		rows[i] = datasets.KEVRow{
			CVE: e.CVE, VendorProject: e.VendorProject, Product: e.Product, Name: e.Name,
			DateAdded: e.DateAdded, DueDate: e.DueDate, Ransomware: e.Ransomware, CWEs: e.CWEs,
			CatalogVersion: k.Version,
		}
	}
	rec := datasets.KEVRecord(w.Store().Allocator(), rows)
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
	rows := make([]datasets.EPSSRow, len(cves))
	for i, c := range cves {
		sc := e.Scores[c]
		rows[i] = datasets.EPSSRow{CVE: c, EPSS: sc.EPSS, Percentile: sc.Percentile, ModelVersion: e.ModelVersion, ScoreDate: e.ScoreDate}
	}
	rec := datasets.EPSSRecord(w.Store().Allocator(), rows)
	defer rec.Release()
	return res, w.WriteTable(datasets.TableEPSS, part, id, rec)
}

// LoadKEV reads the kev table: every catalog imported, one entry per CVE (the newest
// catalog's). It returns nil when none was imported.
func LoadKEV(ctx context.Context, s *datasets.Store) (*intel.KEV, error) {
	byCVE := map[string]intel.KEVEntry{}
	version := ""
	err := s.Scan(ctx, datasets.TableKEV, datasets.ScanOptions{}, func(f datasets.File, rec arrow.RecordBatch) error {
		rows, err := datasets.DecodeKEV(rec)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		for _, r := range rows {
			if r.CatalogVersion >= version {
				version = r.CatalogVersion
			}
			byCVE[r.CVE] = intel.KEVEntry{CVE: r.CVE, VendorProject: r.VendorProject, Product: r.Product, Name: r.Name, DateAdded: r.DateAdded}
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
			rows, err := datasets.DecodeEPSS(rec)
			if err != nil {
				return fmt.Errorf("%s: %w", f.Path, err)
			}
			for _, r := range rows {
				e.Scores[r.CVE] = intel.EPSSScore{EPSS: r.EPSS, Percentile: r.Percentile}
				e.ModelVersion = r.ModelVersion
			}
			return nil
		})
	return e, err
}

func contentID(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}
