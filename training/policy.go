package training

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
	"github.com/riskmap/riskmap/models"
)

// RulesBaselineWeights is the rule of thumb every model is compared with: exposure plus
// risky-service counts, the score a careful engineer would compute by hand.
var RulesBaselineWeights = map[string]float64{
	"internet_open_ports": 1, "internet_admin_ports": 2, "internet_data_ports": 3,
	"internet_all_ports": 3, "has_public_ip": 1, "risky_ports_now": 2, "kev_ports_now": 3,
	"svc_telnet": 2, "svc_ftp": 1, "svc_redis": 2, "svc_mongodb": 2, "svc_elasticsearch": 2,
	"svc_memcached": 2, "svc_docker": 3, "svc_vnc": 2,
}

// History is the labelled feature rows of a workspace over time: one row per asset per
// as_of point that a later scan labelled.
type History struct {
	Data   Dataset
	Assets []string
	Points []time.Time
}

// BuildHistory builds features at every point but the last and labels each row from the
// scans up to the next point (features.Labels). Rows of assets no scan covered carry no
// label and are left out.
func BuildHistory(ctx context.Context, s *datasets.Store, points []time.Time) (*History, error) {
	if len(points) < 2 {
		return nil, fmt.Errorf("training needs history: %d as_of points (cycles or scan days), want at least 2", len(points))
	}
	h := &History{Points: points, Data: Dataset{Features: features.Names(), FeatureVersion: features.Version}}
	h.Data.Cols = len(h.Data.Features)
	for i := 0; i+1 < len(points); i++ {
		m, err := FeatureMatrix(ctx, s, points[i])
		if err != nil {
			return nil, fmt.Errorf("features as of %s: %w", points[i].Format(time.RFC3339), err)
		}
		labels, err := features.Labels(ctx, s, points[i], points[i+1])
		if err != nil {
			return nil, err
		}
		for r, id := range m.Assets {
			serious, ok := labels[id]
			if !ok {
				continue
			}
			y := float32(0)
			if serious {
				y = 1
			}
			h.Data.X = append(h.Data.X, m.Row(r)...)
			h.Data.Y = append(h.Data.Y, y)
			h.Data.Time = append(h.Data.Time, points[i])
			h.Assets = append(h.Assets, id)
			h.Data.Rows++
		}
	}
	if h.Data.Rows == 0 {
		return nil, errors.New("training: no labelled rows (no scan covered any asset after an as_of point)")
	}
	return h, nil
}

// TrainOptions choose what to train.
type TrainOptions struct {
	Name string // registry name; "" means the kind
	Kind string // models.KindRisk or models.KindAnomaly
	Algo string // gbdt, logreg or iforest; "" means gbdt for risk, iforest for anomaly
	Seed int64
	// Promote makes the new version current when it beats the current one on the same
	// held-out data.
	Promote bool
	Now     func() time.Time
	// Commit is the source revision the card records; "" means the revision the running
	// binary was built from (its build information), when it carries one.
	Commit string
}

// TrainResult is what a training run registered.
type TrainResult struct {
	Card     models.Card `json:"card"`
	Promoted bool        `json:"promoted"`
	Why      string      `json:"why"`
}

// Train splits history by time (the last point's rows are held out), trains, evaluates the
// model and the rules baseline on the held-out rows, registers the model with its card, and
// promotes it only if it beats the current version on the same held-out data.
func Train(ctx context.Context, w *datasets.Writer, h *History, opts TrainOptions) (TrainResult, error) {
	if opts.Kind != models.KindRisk && opts.Kind != models.KindAnomaly {
		return TrainResult{}, fmt.Errorf("train: kind %q, want risk or anomaly", opts.Kind)
	}
	if opts.Name == "" {
		opts.Name = opts.Kind
	}
	if opts.Algo == "" {
		opts.Algo = map[string]string{models.KindRisk: "gbdt", models.KindAnomaly: "iforest"}[opts.Kind]
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	cut := h.Points[len(h.Points)-2] // the last labelled point is held out
	train, test := TimeSplit(h.Data, cut)
	if train.Rows == 0 || test.Rows == 0 {
		return TrainResult{}, fmt.Errorf("train: the time split at %s leaves %d training and %d held-out rows; need more history", cut.Format(time.RFC3339), train.Rows, test.Rows)
	}
	start := time.Now()
	var onnx []byte
	var predict func(x []float32, rows int, out []float32)
	var hyper map[string]any
	var err error
	switch opts.Algo {
	case "gbdt":
		cfg := DefaultGBDTConfig()
		cfg.Seed = opts.Seed
		if train.Rows < 5000 {
			cfg.Trees, cfg.MaxDepth, cfg.MinChildWeight = 100, 4, 2
		}
		var m *GBDT
		m, err = TrainGBDT(ctx, train, nil, cfg)
		if err == nil {
			onnx, err = m.ONNX(opts.Kind, train.Features, train.FeatureVersion)
			predict, hyper = m.Predict, cfg.Map()
		}
	case "logreg":
		cfg := DefaultLogRegConfig()
		var m *LogReg
		m, err = TrainLogReg(ctx, train, cfg)
		if err == nil {
			onnx, err = m.ONNX(opts.Kind, train.Features, train.FeatureVersion)
			predict, hyper = m.Predict, cfg.Map()
		}
	case "iforest":
		cfg := DefaultIForestConfig()
		cfg.Seed = opts.Seed
		var m *IForest
		m, err = TrainIForest(ctx, train, cfg)
		if err == nil {
			onnx, err = m.ONNX(opts.Kind, train.Features, train.FeatureVersion)
			predict, hyper = m.Score, cfg.Map()
		}
	default:
		return TrainResult{}, fmt.Errorf("train: algo %q, want gbdt, logreg or iforest", opts.Algo)
	}
	if err != nil {
		return TrainResult{}, fmt.Errorf("train %s: %w", opts.Algo, err)
	}
	elapsed := time.Since(start).Seconds()
	scores := make([]float32, test.Rows)
	predict(test.X, test.Rows, scores)
	metrics := Evaluate(scores, test.Y)
	base := Evaluate(RulesBaseline(test, RulesBaselineWeights), test.Y)
	positives := 0
	for _, y := range train.Y {
		if y >= 0.5 {
			positives++
		}
	}
	card := models.Card{
		Name: opts.Name, Kind: opts.Kind, Algo: opts.Algo, FeatureVersion: train.FeatureVersion,
		Features: train.Features, DataWindow: models.Window{From: h.Points[0], To: cut},
		Rows: train.Rows, LabelRate: float64(positives) / float64(train.Rows), Hyperparameters: hyper,
		Seed: opts.Seed, Metrics: metrics.Map(), Baseline: base.Map(), Calibration: metrics.Calibration,
		TrainingSeconds: elapsed, GitCommit: commit(opts.Commit), CreatedAt: now().UTC(),
		HeldOut: heldOutID(test, h.Points[len(h.Points)-2]),
	}
	if opts.Kind == models.KindAnomaly {
		card.Notes = append(card.Notes, "anomaly metrics rank held-out rows against the serious-finding labels: a proxy, since anomalies have no labels")
	}
	reg := models.OpenRegistry(w.Store().Dir)
	version, err := reg.Register(opts.Name, onnx, card)
	if err != nil {
		return TrainResult{}, err
	}
	card.Version = version
	res := TrainResult{Card: card}
	if !opts.Promote {
		res.Why = "not asked to promote"
		return res, nil
	}
	if err := evaluateCurrent(reg, opts.Name, card.HeldOut, test); err != nil {
		return res, err
	}
	switch err := reg.Promote(opts.Name, version, models.DefaultPromoteMetric, false); {
	case err == nil:
		res.Promoted, res.Why = true, fmt.Sprintf("%s %.4f beats the current version on held-out %s", models.DefaultPromoteMetric, card.Metrics[models.DefaultPromoteMetric], card.HeldOut[:12])
	case errors.Is(err, models.ErrNotBetter), errors.Is(err, models.ErrNotComparable):
		res.Why = err.Error()
	default:
		return res, err
	}
	_, res.Card, _ = reg.Get(opts.Name, version)
	return res, nil
}

// evaluateCurrent scores the current version of name on the held-out rows through
// onnxruntime and records the metrics in its card, so that Promote compares the candidate
// with it on the same data. A current version with another feature list cannot be scored on
// these rows: it is left alone, and Promote says the two are not comparable.
func evaluateCurrent(reg *models.Registry, name, heldOut string, test Dataset) error {
	cur, err := reg.Current(name)
	if errors.Is(err, models.ErrNoCurrent) {
		return nil
	}
	if err != nil {
		return err
	}
	m, card, err := reg.Get(name, cur)
	if err != nil {
		return err
	}
	if _, done := card.Evaluations[heldOut]; done || card.HeldOut == heldOut {
		return nil
	}
	if m.CheckFeatures(test.Features, test.FeatureVersion) != nil {
		return nil
	}
	scores, err := ScoreRows(m, test.X, test.Rows)
	if err != nil {
		return fmt.Errorf("evaluate current %s@%s: %w", name, cur, err)
	}
	return reg.RecordEvaluation(name, cur, heldOut, Evaluate(scores, test.Y).Map())
}

// ScoreRows runs a model on row-major rows through onnxruntime, which the caller has
// initialised (models.InitRuntime).
func ScoreRows(m *models.Model, x []float32, rows int) ([]float32, error) {
	sc, err := models.NewScorer(m, models.ScorerOptions{})
	if err != nil {
		return nil, err
	}
	defer sc.Close()
	out := make([]float32, rows)
	return out, sc.Score(x, rows, out)
}

// heldOutID names the held-out data: the same rows at the same time give the same id, so
// two cards with equal ids were measured on the same data.
func heldOutID(test Dataset, at time.Time) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%d|%d|", at.UTC().Format(time.RFC3339Nano), test.Rows, test.Cols)
	for _, y := range test.Y {
		if y >= 0.5 {
			h.Write([]byte{1})
		} else {
			h.Write([]byte{0})
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// commit is the revision to stamp on a card: the one given, or the VCS revision in the
// binary's build information ("" for go run and go test). riskmap never runs git in the
// user's directory: that would stamp whatever repository the user happens to stand in.
func commit(given string) string {
	if given != "" {
		return given
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			return s.Value[:min(12, len(s.Value))]
		}
	}
	return ""
}
