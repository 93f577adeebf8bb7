package models_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
	"github.com/riskmap/riskmap/models"
)

// TestScoreFeatureTableEngines scores a features table with the bundled risk model through both
// engines: the same scores, the engine in the output's metadata, and the native one by default.
func TestScoreFeatureTableEngines(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, err := datasets.Open(filepath.Join(t.TempDir(), "ws"), mem)
	if err != nil {
		t.Fatal(err)
	}
	names := features.Names()
	const rows = 3000
	bld := array.NewRecordBuilder(mem, datasets.FeaturesSchema(features.Version, names))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range rows {
		bld.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("i-%05d", i))
		bld.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC).UnixMicro()))
		bld.Field(2).(*array.StringBuilder).Append(features.Version)
		for f := range names {
			fb := bld.Field(3 + f).(*array.Float32Builder)
			switch rng.IntN(10) {
			case 0:
				fb.AppendNull() // a missing value: NaN to the model
			case 1, 2:
				fb.Append(float32(rng.IntN(4)))
			default:
				fb.Append(float32(rng.ExpFloat64()))
			}
		}
	}
	rec := bld.NewRecordBatch()
	bld.Release()
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteTable(datasets.TableFeatures, "as_of=test", "part-0", rec); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	w.Close()
	m, err := models.Load(filepath.Join("..", "training", "bundled", "risk", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	scores := map[models.Engine][]float32{}
	for _, tc := range []struct {
		force, want models.Engine
	}{{models.EngineAuto, models.EngineNative}, {models.EngineNative, models.EngineNative}, {models.EngineONNXRuntime, models.EngineONNXRuntime}} {
		var buf bytes.Buffer
		st, err := models.ScoreFeatureTable(context.Background(), s, m, models.ScorerOptions{Engine: tc.force, BatchRows: 1000}, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rows != rows || st.Engine != tc.want {
			t.Fatalf("engine %q: %d rows by %s, want %d by %s", tc.force, st.Rows, st.Engine, rows, tc.want)
		}
		meta, got := readScores(t, buf.Bytes())
		if meta[models.MetaScoreEngine] != string(tc.want) {
			t.Errorf("engine %q: metadata %s = %q, want %q", tc.force, models.MetaScoreEngine, meta[models.MetaScoreEngine], tc.want)
		}
		scores[tc.want] = got
	}
	nat, ort := scores[models.EngineNative], scores[models.EngineONNXRuntime]
	for i := range nat {
		if math.Abs(float64(nat[i]-ort[i])) > 1e-6 {
			t.Fatalf("row %d: native %v, onnxruntime %v", i, nat[i], ort[i])
		}
	}
}

func readScores(t *testing.T, b []byte) (map[string]string, []float32) {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	meta := map[string]string{}
	kv := pf.MetaData().KeyValueMetadata()
	for i, k := range kv.Keys() {
		meta[k] = kv.Values()[i]
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	var out []float32
	for _, c := range tbl.Column(2).Data().Chunks() {
		out = append(out, c.(*array.Float32).Float32Values()...)
	}
	return meta, out
}

// TestWriteScoresRecordsEngines checks that the scores table's file names the engines.
func TestWriteScoresRecordsEngines(t *testing.T) {
	s, err := datasets.Open(filepath.Join(t.TempDir(), "ws"), memory.NewGoAllocator())
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	scored := &models.Scored{AsOf: at, RiskCard: models.Card{Name: "risk", Version: "v1"}, AnomalyCard: &models.Card{Name: "anomaly", Version: "v1"},
		RiskEngine: models.EngineNative, AnomalyEngine: models.EngineONNXRuntime,
		Scores: []riskmap.Score{{AssetID: "i-1", AsOf: at, Model: "risk", ModelVersion: "v1", Risk: 0.5}}}
	if err := models.WriteScores(w, scored); err != nil {
		t.Fatal(err)
	}
	w.Close()
	files, err := s.Files(datasets.TableScores)
	if err != nil || len(files) != 1 {
		t.Fatalf("scores files %v, %v: want one", files, err)
	}
	pf, err := file.OpenParquetFile(files[0].Path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	kv := pf.MetaData().KeyValueMetadata()
	got := map[string]string{}
	for i, k := range kv.Keys() {
		got[k] = kv.Values()[i]
	}
	if got[models.MetaRiskEngine] != "native" || got[models.MetaAnomalyEngine] != "onnxruntime" {
		t.Fatalf("metadata %v: want %s=native, %s=onnxruntime", got, models.MetaRiskEngine, models.MetaAnomalyEngine)
	}
	back, err := datasets.ReadAll(context.Background(), s, datasets.TableScores, nil, datasets.DecodeScores)
	if err != nil || len(back) != 1 || back[0].AssetID != "i-1" {
		t.Fatalf("read back %v, %v", back, err)
	}
}
