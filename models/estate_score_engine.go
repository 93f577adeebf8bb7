package models

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Metadata keys of a scores file that say which engine computed its risk and anomaly scores.
const (
	MetaRiskEngine    = "riskmap.engine.risk"
	MetaAnomalyEngine = "riskmap.engine.anomaly"
)

// noteEngine records the engine s runs, and why it is onnxruntime when the choice was free.
func (sc *Scored) noteEngine(s *Scorer, field *Engine) {
	*field = s.Engine()
	if n := s.EngineNote(); n != "" {
		sc.EngineNotes = append(sc.EngineNotes, fmt.Sprintf("the %s model runs on onnxruntime: %s", s.Model().Kind, n))
	}
}

// withEngines returns rec with the engines in its schema's metadata, which the Parquet file
// keeps; it takes over rec's reference.
func withEngines(rec arrow.RecordBatch, scored *Scored) arrow.RecordBatch {
	md := rec.Schema().Metadata()
	keys, vals := append([]string(nil), md.Keys()...), append([]string(nil), md.Values()...)
	keys, vals = append(keys, MetaRiskEngine), append(vals, string(scored.RiskEngine))
	if scored.AnomalyCard != nil {
		keys, vals = append(keys, MetaAnomalyEngine), append(vals, string(scored.AnomalyEngine))
	}
	meta := arrow.NewMetadata(keys, vals)
	out := array.NewRecordBatch(arrow.NewSchema(rec.Schema().Fields(), &meta), rec.Columns(), rec.NumRows())
	rec.Release()
	return out
}
