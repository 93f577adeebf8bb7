package datasets

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/riskmap/riskmap"
)

// AlertsRecord builds a record of the alerts table. The caller releases it.
func AlertsRecord(mem memory.Allocator, alerts []riskmap.Alert) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, AlertsSchema)
	defer b.Release()
	r := rowBuilder{b: b}
	for _, a := range alerts {
		r.row()
		r.str(a.ID)
		r.time(a.Time)
		r.str(a.AssetID)
		r.str(a.IP)
		r.i32(a.Port)
		r.str(a.Kind)
		r.str(a.Severity)
		r.str(a.Title)
		r.str(a.Why)
		r.str(a.Action)
		r.f32(a.Anomaly)
		r.str(a.ScanID)
	}
	return b.NewRecordBatch()
}

// DecodeAlerts reads the rows of an alerts record.
func DecodeAlerts(rec arrow.RecordBatch) ([]riskmap.Alert, error) {
	r := newRowReader(TableAlerts, rec)
	if err := r.need("alert_id", "time", "asset_id", "kind", "severity"); err != nil {
		return nil, err
	}
	out := make([]riskmap.Alert, rec.NumRows())
	for i := range out {
		out[i] = riskmap.Alert{
			Schema: riskmap.AlertSchema, ID: r.str("alert_id", i), Time: r.time("time", i),
			AssetID: r.str("asset_id", i), IP: r.str("ip", i), Port: r.int("port", i),
			Kind: r.str("kind", i), Severity: r.str("severity", i), Title: r.str("title", i),
			Why: r.str("why", i), Action: r.str("action", i), Anomaly: r.f32("anomaly", i),
			ScanID: r.str("scan_id", i),
		}
	}
	return out, nil
}
