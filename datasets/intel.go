package datasets

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// KEVRow is one row of the kev table: one CISA KEV catalog entry and the catalog's version.
type KEVRow struct {
	CVE            string
	VendorProject  string
	Product        string
	Name           string
	DateAdded      time.Time
	DueDate        time.Time
	Ransomware     string
	CWEs           []string
	CatalogVersion string
}

// KEVRecord builds a record of the kev table. The caller releases it.
func KEVRecord(mem memory.Allocator, rows []KEVRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, KEVSchema)
	defer b.Release()
	r := rowBuilder{b: b}
	for _, e := range rows {
		r.row()
		r.str(e.CVE)
		r.str(e.VendorProject)
		r.str(e.Product)
		r.str(e.Name)
		r.time(e.DateAdded)
		r.time(e.DueDate)
		r.str(e.Ransomware)
		r.strs(e.CWEs)
		r.str(e.CatalogVersion)
	}
	return b.NewRecordBatch()
}

// KEVColumns are the columns DecodeKEV needs; a projected read may ask for these alone.
var KEVColumns = []string{"cve", "vendor_project", "product", "name", "date_added"}

// DecodeKEV reads the rows of a kev record, by column name. It is the kev table's only
// decoder: the columns outside KEVColumns read as zero values when a projection left them out.
func DecodeKEV(rec arrow.RecordBatch) ([]KEVRow, error) {
	r := newRowReader(TableKEV, rec)
	if err := r.need(KEVColumns...); err != nil {
		return nil, err
	}
	out := make([]KEVRow, rec.NumRows())
	for i := range out {
		out[i] = KEVRow{
			CVE: r.str("cve", i), VendorProject: r.str("vendor_project", i),
			Product: r.str("product", i), Name: r.str("name", i),
			DateAdded: r.time("date_added", i), DueDate: r.time("due_date", i),
			Ransomware: r.str("ransomware", i), CWEs: r.strs("cwes", i),
			CatalogVersion: r.str("catalog_version", i),
		}
	}
	return out, nil
}

// EPSSRow is one row of the epss table: one CVE's score in one FIRST EPSS feed.
type EPSSRow struct {
	CVE          string
	EPSS         float64
	Percentile   float64
	ModelVersion string
	ScoreDate    time.Time
}

// EPSSRecord builds a record of the epss table. The caller releases it.
func EPSSRecord(mem memory.Allocator, rows []EPSSRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, EPSSSchema)
	defer b.Release()
	r := rowBuilder{b: b}
	for _, e := range rows {
		r.row()
		r.str(e.CVE)
		r.f64(e.EPSS)
		r.f64(e.Percentile)
		r.str(e.ModelVersion)
		r.time(e.ScoreDate)
	}
	return b.NewRecordBatch()
}

// DecodeEPSS reads the rows of an epss record, by column name.
func DecodeEPSS(rec arrow.RecordBatch) ([]EPSSRow, error) {
	r := newRowReader(TableEPSS, rec)
	if err := r.need("cve", "epss", "percentile", "model_version"); err != nil {
		return nil, err
	}
	out := make([]EPSSRow, rec.NumRows())
	for i := range out {
		out[i] = EPSSRow{
			CVE: r.str("cve", i), EPSS: r.f64("epss", i), Percentile: r.f64("percentile", i),
			ModelVersion: r.str("model_version", i), ScoreDate: r.time("score_date", i),
		}
	}
	return out, nil
}
