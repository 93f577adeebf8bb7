package models_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models"
)

// FuzzParse feeds Parse (then the explainer's tree reader, and Stamp, which reads the same bytes more leniently) mutated models,
// seeded from the test models and from models whose metadata is slightly off. Neither may panic;
// every refusal must be ErrCorrupt or a contract error; whatever Parse accepts must keep the
// contract's invariants and survive a re-encode.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.onnx"))
	more, _ := filepath.Glob(filepath.Join("testdata", "sklearn", "*.onnx"))
	files = append(files, more...)
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, v := range []string{`[]`, `["a","b"]`, `["a","b","c","d"]`, `[1,2,3]`, `["a",null,"c"]`, `{"a":1}`, `["a","b","c"`, ``} {
		mp := logisticProto()
		metaSet(mp, models.MetaFeatures, v)
		f.Add(mustMarshal(f, mp))
	}
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x08})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := models.Parse(b)
		if err != nil {
			if !errors.Is(err, models.ErrCorrupt) && !errors.Is(err, models.ErrContract) {
				t.Fatalf("refusal is neither ErrCorrupt nor ErrContract: %v", err)
			}
		} else {
			if m.Kind != models.KindRisk && m.Kind != models.KindAnomaly {
				t.Fatalf("accepted kind %q", m.Kind)
			}
			if len(m.Features) == 0 || m.FeatureVersion == "" {
				t.Fatalf("accepted features %v, version %q", m.Features, m.FeatureVersion)
			}
			if err := m.CheckFeatures(m.Features, m.FeatureVersion); err != nil {
				t.Fatalf("model refuses its own features: %v", err)
			}
			again, err := proto.MarshalOptions{Deterministic: true}.Marshal(m.Proto)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := models.Parse(again); err != nil {
				t.Fatalf("re-encoded model refused: %v", err)
			}
			// The native evaluator compiles the same attributes; it may refuse, never panic, and
			// what it compiles scores a row of zeros and one of NaNs.
			if s, err := models.NewScorer(m, models.ScorerOptions{Engine: models.EngineNative, IntraOpThreads: 1}); err == nil {
				w := len(m.Features)
				x := make([]float32, 2*w)
				for i := w; i < 2*w; i++ {
					x[i] = float32(math.NaN())
				}
				if err := s.Score(x, 2, make([]float32, 2)); err != nil {
					t.Fatalf("native score: %v", err)
				}
				s.Close()
			} else if !errors.Is(err, models.ErrNotNative) && !strings.Contains(err.Error(), "tree ensemble") {
				t.Fatalf("native refusal is neither ErrNotNative nor a tree ensemble error: %v", err)
			}
			// The explainer reads tree attributes out of the same bytes; it may refuse, never panic.
			if e, err := models.NewExplainer(m, nil); err == nil {
				if _, err := e.Explain(make([]float32, len(m.Features)), nil); err != nil {
					t.Fatalf("explain a zero row: %v", err)
				}
			}
		}
		if out, _, err := models.Stamp(b, models.KindRisk, []string{"a", "b", "c"}, "fuzz"); err == nil {
			if _, err := models.Parse(out); err != nil {
				t.Fatalf("stamped model refused: %v", err)
			}
		}
	})
}
