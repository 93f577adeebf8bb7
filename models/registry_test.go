package models_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/models"
)

var testNow = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

func newRegistry(t *testing.T) *models.Registry {
	t.Helper()
	r := models.OpenRegistry(t.TempDir())
	r.Now = func() time.Time { return testNow }
	return r
}

func card(prAUC float64, heldOut string) models.Card {
	c := models.Card{
		Algo:       "gbdt",
		Rows:       1200,
		LabelRate:  0.07,
		Seed:       42,
		HeldOut:    heldOut,
		Metrics:    map[string]float64{"pr_auc": prAUC, "roc_auc": 0.8, "brier": 0.05},
		Baseline:   map[string]float64{"pr_auc": 0.2},
		DataWindow: models.Window{From: testNow.Add(-48 * time.Hour), To: testNow},
		Calibration: []models.CalibrationBin{
			{Lo: 0, Hi: 0.5, MeanPredicted: 0.1, Observed: 0.12, Count: 900},
			{Lo: 0.5, Hi: 1, MeanPredicted: 0.7, Observed: 0.66, Count: 300},
		},
		Hyperparameters: map[string]any{"trees": 2, "depth": 2.0},
	}
	return c
}

func TestRegistry(t *testing.T) {
	r := newRegistry(t)
	logit, trees := mustMarshal(t, logisticProto()), mustMarshal(t, treeProto())

	v1, err := r.Register("risk", logit, card(0.30, "h1"))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := r.Register("risk", trees, card(0.40, "h1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Register("other", trees, card(0.1, "h1")); err != nil {
		t.Fatal(err)
	}
	if v1 != "v1" || v2 != "v2" {
		t.Fatalf("versions %s, %s", v1, v2)
	}
	if _, err := r.Current("risk"); !errors.Is(err, models.ErrNoCurrent) {
		t.Fatalf("current before any promotion: %v", err)
	}

	cards, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cards {
		ids = append(ids, c.Name+"/"+c.Version)
	}
	if !slices.Equal(ids, []string{"other/v1", "risk/v1", "risk/v2"}) {
		t.Fatalf("list %v", ids)
	}
	c := cards[1]
	if c.Kind != models.KindRisk || c.FeatureVersion != testFeatureVersion || !slices.Equal(c.Features, testFeatures) ||
		!c.CreatedAt.Equal(testNow) || !c.DataWindow.To.Equal(testNow) || len(c.Calibration) != 2 || c.Promoted {
		t.Fatalf("card round trip: %+v", c)
	}

	t.Run("first promotion needs nothing to beat", func(t *testing.T) {
		if err := r.Promote("risk", "v1", "", false); err != nil {
			t.Fatal(err)
		}
		mustCurrent(t, r, "risk", "v1")
	})
	t.Run("better is promoted", func(t *testing.T) {
		if err := r.Promote("risk", "v2", "", false); err != nil {
			t.Fatal(err)
		}
		mustCurrent(t, r, "risk", "v2")
		m, c, err := r.Get("risk", "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Version != "v2" || !c.Promoted || c.Forced || m.Proto.GetGraph().GetName() != "trees" {
			t.Fatalf("current is %s (promoted %v, forced %v, graph %s)", c.Version, c.Promoted, c.Forced, m.Proto.GetGraph().GetName())
		}
	})
	t.Run("worse is refused with both figures", func(t *testing.T) {
		err := r.Promote("risk", "v1", "pr_auc", false)
		if !errors.Is(err, models.ErrNotBetter) || !strings.Contains(err.Error(), "0.3000") || !strings.Contains(err.Error(), "0.4000") {
			t.Fatalf("got %v, want ErrNotBetter with 0.3000 and 0.4000", err)
		}
		mustCurrent(t, r, "risk", "v2")
	})
	t.Run("equal is not better", func(t *testing.T) {
		// v1 and v2 have the same brier.
		if err := r.Promote("risk", "v1", "brier", false); !errors.Is(err, models.ErrNotBetter) {
			t.Fatalf("equal brier: got %v, want ErrNotBetter", err)
		}
	})
	t.Run("different held-out data is not comparable", func(t *testing.T) {
		v3, err := r.Register("risk", trees, card(0.9, "h2"))
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Promote("risk", v3, "", false); !errors.Is(err, models.ErrNotComparable) {
			t.Fatalf("got %v, want ErrNotComparable", err)
		}
		mustCurrent(t, r, "risk", "v2")
	})
	t.Run("lower brier wins", func(t *testing.T) {
		c := card(0.1, "h1")
		c.Metrics["brier"] = 0.01
		v, err := r.Register("other", trees, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Promote("other", "v1", "", false); err != nil {
			t.Fatal(err)
		}
		if err := r.Promote("other", v, "pr_auc", false); !errors.Is(err, models.ErrNotBetter) {
			t.Fatalf("equal pr_auc: got %v, want ErrNotBetter", err)
		}
		if err := r.Promote("other", v, "brier", false); err != nil {
			t.Fatalf("lower brier refused: %v", err)
		}
		mustCurrent(t, r, "other", v)
	})
	t.Run("force is recorded", func(t *testing.T) {
		if err := r.Promote("risk", "v1", "", true); err != nil {
			t.Fatal(err)
		}
		mustCurrent(t, r, "risk", "v1")
		_, c, err := r.Get("risk", "current")
		if err != nil {
			t.Fatal(err)
		}
		if !c.Forced || !c.Promoted || !strings.Contains(strings.Join(c.Notes, "\n"), "forced") {
			t.Fatalf("forced card: forced %v promoted %v notes %q", c.Forced, c.Promoted, c.Notes)
		}
	})
	t.Run("CURRENT survives a reopen", func(t *testing.T) {
		r2 := models.OpenRegistry(r.Dir)
		mustCurrent(t, r2, "risk", "v1")
		m, _, err := r2.Get("risk", "")
		if err != nil {
			t.Fatal(err)
		}
		if m.Proto.GetGraph().GetName() != "logistic" {
			t.Fatalf("current model graph %q", m.Proto.GetGraph().GetName())
		}
		b, err := os.ReadFile(filepath.Join(r.Dir, "models", "risk", "CURRENT"))
		if err != nil || string(b) != "v1\n" {
			t.Fatalf("CURRENT holds %q (%v)", b, err)
		}
	})
	t.Run("no temporary files left", func(t *testing.T) {
		err := filepath.WalkDir(r.Dir, func(path string, d os.DirEntry, err error) error {
			if strings.HasPrefix(d.Name(), ".") {
				t.Errorf("left behind: %s", path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestCardGolden pins card.json, the file data scientists read with jq and pandas.
func TestCardGolden(t *testing.T) {
	r := newRegistry(t)
	c := card(0.4, "h1")
	c.GitCommit = "0123abc"
	c.TrainingSeconds = 1.5
	c.Notes = []string{"trained by the golden test"}
	if _, err := r.Register("risk", mustMarshal(t, treeProto()), c); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(r.Dir, "models", "risk", "v1", "card.json"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "card.golden.json", got)
}

func mustCurrent(t *testing.T, r *models.Registry, name, want string) {
	t.Helper()
	got, err := r.Current(name)
	if err != nil || got != want {
		t.Fatalf("current %s = %q (%v), want %q", name, got, err, want)
	}
}

func TestRegistryRefuses(t *testing.T) {
	r := newRegistry(t)
	good := mustMarshal(t, logisticProto())
	bad := logisticProto()
	metaSet(bad, models.MetaKind, "fraud")
	nan := card(0.3, "h1")
	nan.Metrics["roc_auc"] = math.NaN()
	anomaly := card(0.3, "h1")
	anomaly.Kind = models.KindAnomaly
	otherFeatures := card(0.3, "h1")
	otherFeatures.Features = []string{"a", "c", "b"}
	for _, tc := range []struct {
		name  string
		model string
		b     []byte
		card  models.Card
		is    error
		want  string
	}{
		{"model breaks the contract", "risk", mustMarshal(t, bad), card(0.3, "h1"), models.ErrContract, "riskmap.kind"},
		{"corrupt model", "risk", []byte("nope"), card(0.3, "h1"), models.ErrCorrupt, "corrupt"},
		{"card kind differs", "risk", good, anomaly, nil, `card kind "anomaly"`},
		{"card features differ", "risk", good, otherFeatures, models.ErrContract, "another order"},
		{"NaN metric", "risk", good, nan, nil, "metrics[roc_auc]"},
		{"path in name", "../escape", good, card(0.3, "h1"), nil, "model name"},
		{"empty name", "", good, card(0.3, "h1"), nil, "model name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Register(tc.model, tc.b, tc.card)
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("got %v, want an error saying %q (is %v)", err, tc.want, tc.is)
			}
		})
	}
	cards, err := r.List()
	if err != nil || len(cards) != 0 {
		t.Fatalf("refused registrations left %d cards (%v)", len(cards), err)
	}
	if _, _, err := r.Get("risk", "v1"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("get missing version: %v", err)
	}
	if _, _, err := r.Get("risk", "1"); err == nil {
		t.Fatal("version 1 without v accepted")
	}
	if err := r.Promote("risk", "v7", "", false); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("promote missing version: %v", err)
	}
}

func TestPromoteAfterEvaluatingCurrentOnNewHeldOut(t *testing.T) {
	reg := newRegistry(t)
	b := mustMarshal(t, logisticProto())
	v1, err := reg.Register("risk", b, card(0.9, "old"))
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Promote("risk", v1, "", false); err != nil {
		t.Fatal(err)
	}
	v2, _ := reg.Register("risk", b, card(0.5, "new"))
	if err := reg.Promote("risk", v2, "", false); !errors.Is(err, models.ErrNotComparable) {
		t.Fatalf("promote across held-out sets: %v, want ErrNotComparable", err)
	}
	// The current version, evaluated on the new held-out rows, does worse there.
	if err := reg.RecordEvaluation("risk", v1, "new", map[string]float64{"pr_auc": 0.4}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Promote("risk", v2, "", false); err != nil {
		t.Fatalf("promote after evaluating current on the same held-out data: %v", err)
	}
	if cur, _ := reg.Current("risk"); cur != v2 {
		t.Fatalf("current = %s, want %s", cur, v2)
	}
	v3, _ := reg.Register("risk", b, card(0.3, "newer"))
	reg.RecordEvaluation("risk", v2, "newer", map[string]float64{"pr_auc": 0.35})
	if err := reg.Promote("risk", v3, "", false); !errors.Is(err, models.ErrNotBetter) {
		t.Fatalf("worse candidate: %v, want ErrNotBetter", err)
	}
}
