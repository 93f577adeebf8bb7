package datasets

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/riskmap/riskmap"
)

// FindingsRecord builds a record of the findings table. The caller releases it.
func FindingsRecord(mem memory.Allocator, fs []riskmap.Finding) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, FindingsSchema)
	defer b.Release()
	r := rowBuilder{b: b}
	for _, f := range fs {
		r.row()
		r.str(f.ScanID)
		r.str(f.AssetID)
		r.str(f.IP)
		r.i32(f.Port)
		r.str(f.Proto)
		r.str(f.RuleID)
		r.str(f.Severity.String())
		r.str(f.Title)
		r.str(f.Evidence)
		r.strs(f.CVEs)
	}
	return b.NewRecordBatch()
}

// DecodeFindings reads the rows of a findings record.
func DecodeFindings(rec arrow.RecordBatch) ([]riskmap.Finding, error) {
	r := newRowReader(TableFindings, rec)
	if err := r.need("scan_id", "asset_id", "rule_id", "severity"); err != nil {
		return nil, err
	}
	out := make([]riskmap.Finding, rec.NumRows())
	for i := range out {
		sev, err := riskmap.ParseSeverity(r.str("severity", i))
		if err != nil {
			return nil, err
		}
		out[i] = riskmap.Finding{
			ScanID: r.str("scan_id", i), AssetID: r.str("asset_id", i), IP: r.str("ip", i),
			Port: r.int("port", i), Proto: r.str("proto", i), RuleID: r.str("rule_id", i),
			Severity: sev, Title: r.str("title", i), Evidence: r.str("evidence", i),
			CVEs: r.strs("cves", i),
		}
	}
	return out, nil
}

// ScoresRecord builds a record of the scores table. The caller releases it.
func ScoresRecord(mem memory.Allocator, scores []riskmap.Score) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, ScoresSchema)
	defer b.Release()
	r := rowBuilder{b: b}
	for _, s := range scores {
		r.row()
		r.str(s.AssetID)
		r.time(s.AsOf)
		r.str(s.Model)
		r.str(s.ModelVersion)
		r.f32(s.Risk)
		r.f32(s.Anomaly)
		r.f32(s.Priority)
		r.str(s.Tier.String())
		r.strs(s.Reasons)
	}
	return b.NewRecordBatch()
}

// DecodeScores reads the rows of a scores record.
func DecodeScores(rec arrow.RecordBatch) ([]riskmap.Score, error) {
	r := newRowReader(TableScores, rec)
	if err := r.need("asset_id", "as_of", "risk"); err != nil {
		return nil, err
	}
	out := make([]riskmap.Score, rec.NumRows())
	for i := range out {
		tier, err := riskmap.ParseTier(r.str("tier", i))
		if err != nil {
			return nil, err
		}
		out[i] = riskmap.Score{
			AssetID: r.str("asset_id", i), AsOf: r.time("as_of", i), Model: r.str("model", i),
			ModelVersion: r.str("model_version", i), Risk: r.f32("risk", i),
			Anomaly: r.f32("anomaly", i), Priority: r.f32("priority", i), Tier: tier,
			Reasons: r.strs("reasons", i),
		}
	}
	return out, nil
}

// DiffsRecord builds a record of the diffs table. The caller releases it.
func DiffsRecord(mem memory.Allocator, ds []riskmap.Diff) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, DiffsSchema)
	defer b.Release()
	r := rowBuilder{b: b}
	for _, d := range ds {
		r.row()
		r.str(d.AssetID)
		r.str(d.IP)
		r.i32(d.Port)
		r.str(d.Proto)
		r.str(d.Change)
		r.str(d.Before)
		r.str(d.After)
		r.str(d.ScanID)
		r.str(d.BaselineScanID)
		r.time(d.ScanTime)
		r.time(d.FirstPossible)
		if d.FirstPossible.IsZero() {
			r.next().AppendNull()
		} else {
			r.i32(d.DetectCycles)
		}
	}
	return b.NewRecordBatch()
}

// DecodeDiffs reads the rows of a diffs record.
func DecodeDiffs(rec arrow.RecordBatch) ([]riskmap.Diff, error) {
	r := newRowReader(TableDiffs, rec)
	if err := r.need("ip", "change", "scan_id"); err != nil {
		return nil, err
	}
	out := make([]riskmap.Diff, rec.NumRows())
	for i := range out {
		out[i] = riskmap.Diff{
			AssetID: r.str("asset_id", i), IP: r.str("ip", i), Port: r.int("port", i),
			Proto: r.str("proto", i), Change: r.str("change", i), Before: r.str("before", i),
			After: r.str("after", i), ScanID: r.str("scan_id", i),
			BaselineScanID: r.str("baseline_scan_id", i), ScanTime: r.time("scan_time", i),
			FirstPossible: r.time("first_possible", i), DetectCycles: r.int("detect_cycles", i),
		}
	}
	return out, nil
}
