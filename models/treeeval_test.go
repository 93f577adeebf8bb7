package models_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/models/onnxpb"
)

// parityRows are rows that probe every split: random values, each split's threshold exactly and
// its float32 neighbours, NaN, ±Inf and ±0, mixed so that most rows hit several edges at once.
func parityRows(m *models.Model, rows int, seed uint64) []float32 {
	width := len(m.Features)
	edges := make([][]float32, width)
	for _, n := range m.Proto.GetGraph().GetNode() {
		var feats []int64
		var vals []float32
		for _, a := range n.GetAttribute() {
			switch a.GetName() {
			case "nodes_featureids":
				feats = a.GetInts()
			case "nodes_values":
				vals = a.GetFloats()
			}
		}
		for i := range min(len(feats), len(vals)) {
			f, v := feats[i], vals[i]
			if f >= 0 && int(f) < width {
				up, down := float32(math.Inf(1)), float32(math.Inf(-1))
				edges[f] = append(edges[f], v, math.Nextafter32(v, up), math.Nextafter32(v, down))
			}
		}
	}
	specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
	rng := rand.New(rand.NewPCG(seed, 99))
	x := make([]float32, rows*width)
	for i := range x {
		f := i % width
		switch k := rng.IntN(10); {
		case k < 5 && len(edges[f]) > 0:
			x[i] = edges[f][rng.IntN(len(edges[f]))]
		case k < 6:
			x[i] = specials[rng.IntN(len(specials))]
		default:
			x[i] = float32(rng.NormFloat64() * 2)
		}
	}
	return x
}

// checkParity scores parity rows through onnxruntime and the native evaluator and wants the
// same scores to float32 precision; it also checks that EngineAuto picks the native evaluator.
func checkParity(t *testing.T, m *models.Model) {
	t.Helper()
	const rows = 5000
	x := parityRows(m, rows, 1)
	want, got := make([]float32, rows), make([]float32, rows)
	ref, err := models.NewScorer(m, models.ScorerOptions{Engine: models.EngineONNXRuntime})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	if err := ref.Score(x, rows, want); err != nil {
		t.Fatal(err)
	}
	for _, threads := range []int{1, 3} {
		nat, err := models.NewScorer(m, models.ScorerOptions{IntraOpThreads: threads})
		if err != nil {
			t.Fatal(err)
		}
		if nat.Engine() != models.EngineNative {
			t.Fatalf("auto engine is %s (%s), want native", nat.Engine(), nat.EngineNote())
		}
		if err := nat.Score(x, rows, got); err != nil {
			t.Fatal(err)
		}
		// The same rows, column by column, must score the same.
		width := len(m.Features)
		cols := make([][]float32, width)
		for f := range cols {
			cols[f] = make([]float32, rows)
			for r := range rows {
				cols[f][r] = x[r*width+f]
			}
		}
		byCols := make([]float32, rows)
		if err := nat.ScoreColumns(cols, rows, byCols); err != nil {
			t.Fatal(err)
		}
		for i := range byCols {
			if math.Float32bits(byCols[i]) != math.Float32bits(got[i]) && !(byCols[i] != byCols[i] && got[i] != got[i]) {
				t.Fatalf("threads %d row %d: by columns %v, by rows %v", threads, i, byCols[i], got[i])
			}
		}
		nat.Close()
		bad := 0
		for i := range want {
			a, b := float64(got[i]), float64(want[i])
			if !(math.Abs(a-b) <= 2e-6+2e-6*math.Abs(b)) && !(math.IsNaN(a) && math.IsNaN(b)) {
				if bad++; bad <= 5 {
					t.Errorf("threads %d row %d %v: native %v, onnxruntime %v", threads, i, x[i*len(m.Features):(i+1)*len(m.Features)], got[i], want[i])
				}
			}
		}
		if bad > 0 {
			t.Fatalf("threads %d: %d of %d rows differ", threads, bad, rows)
		}
	}
}

func TestNativeParityBundled(t *testing.T) {
	for _, kind := range []string{"risk", "anomaly"} {
		t.Run(kind, func(t *testing.T) {
			m, err := models.Load(filepath.Join("..", "training", "bundled", kind, "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			checkParity(t, m)
		})
	}
}

// TestNativeParitySklearn scores sklearn's tree models in skl2onnx's layout (testdata/sklearn,
// written by sklearn_trees.py), stamped as `riskmap models import` does.
func TestNativeParitySklearn(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e", "f"}
	for _, name := range []string{"gbc", "rfc", "gbr", "rfr"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "sklearn", name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			stamped, _, err := models.Stamp(b, models.KindRisk, names, testFeatureVersion)
			if err != nil {
				t.Fatal(err)
			}
			checkParity(t, mustParse(t, stamped))
		})
	}
}

// synthForest builds a random forest over 4 features whose splits use every branch mode, NaN
// either way and thresholds from a small grid (so that rows hit them exactly), as a regressor
// or a binary classifier in the weight layout given.
func synthForest(seed uint64, classifier bool, classIDs []int64, positive bool, post string, base []float32, depth int) *onnxpb.ModelProto {
	rng := rand.New(rand.NewPCG(seed, 1))
	modes := []string{"BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"}
	grid := []float32{-1, -0.5, 0, 0.25, 1, 2, float32(math.Inf(1)), float32(math.Inf(-1))}
	var (
		treeIDs, nodeIDs, feats, yes, no, missing []int64
		ms                                        []string
		vals                                      []float32
		wTree, wNode, wID                         []int64
		weights                                   []float32
	)
	for tree := range int64(12) {
		next := int64(0)
		var grow func(level int) int64
		grow = func(level int) int64 {
			id := next
			next++
			i := len(treeIDs)
			treeIDs, nodeIDs = append(treeIDs, tree), append(nodeIDs, id)
			feats, yes, no, missing = append(feats, 0), append(yes, 0), append(no, 0), append(missing, 0)
			ms, vals = append(ms, "LEAF"), append(vals, 0)
			if level == depth || (level > 1 && rng.IntN(4) == 0) {
				for _, c := range classIDs {
					w := float32(rng.NormFloat64())
					if positive {
						w = float32(rng.Float64()) / 12
					}
					wTree, wNode, wID, weights = append(wTree, tree), append(wNode, id), append(wID, c), append(weights, w)
				}
				return id
			}
			ms[i] = modes[rng.IntN(len(modes))]
			feats[i] = int64(rng.IntN(4))
			vals[i] = grid[rng.IntN(len(grid))]
			missing[i] = int64(rng.IntN(2))
			y := grow(level + 1)
			n := grow(level + 1)
			yes[i], no[i] = y, n
			return id
		}
		grow(0)
	}
	prefix, op, outs := "target_", "TreeEnsembleRegressor", []string{models.OutputName}
	extra := []*onnxpb.AttributeProto{attrInt("n_targets", 1), attrString("aggregate_function", "SUM")}
	if classifier {
		prefix, op, outs = "class_", "TreeEnsembleClassifier", []string{"label", "probabilities"}
		extra = []*onnxpb.AttributeProto{attrInts("classlabels_int64s", 0, 1)}
	}
	attrs := append(extra,
		attrInts("nodes_treeids", treeIDs...), attrInts("nodes_nodeids", nodeIDs...),
		attrInts("nodes_featureids", feats...), attrStrings("nodes_modes", ms...),
		attrFloats("nodes_values", vals...), attrInts("nodes_truenodeids", yes...),
		attrInts("nodes_falsenodeids", no...), attrInts("nodes_missing_value_tracks_true", missing...),
		attrInts(prefix+"treeids", wTree...), attrInts(prefix+"nodeids", wNode...),
		attrInts(prefix+"ids", wID...), attrFloats(prefix+"weights", weights...),
		attrString("post_transform", post))
	if base != nil {
		attrs = append(attrs, attrFloats("base_values", base...))
	}
	feat4 := []string{"a", "b", "c", "d"}
	g := &onnxpb.GraphProto{
		Name:   proto.String("synth"),
		Node:   []*onnxpb.NodeProto{node(op, models.DomainML, []string{models.InputName}, outs, attrs...)},
		Input:  []*onnxpb.ValueInfoProto{models.InputInfo(4)},
		Output: []*onnxpb.ValueInfoProto{models.OutputInfo(2)},
	}
	if classifier {
		g.Initializer = []*onnxpb.TensorProto{
			{Name: proto.String("s"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: []int64{1}, Int64Data: []int64{1}},
			{Name: proto.String("e"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: []int64{1}, Int64Data: []int64{2}},
			{Name: proto.String("ax"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: []int64{1}, Int64Data: []int64{1}},
		}
		g.Node = append(g.Node, node("Slice", "", []string{"probabilities", "s", "e", "ax"}, []string{models.OutputName}))
	} else {
		// A post-processing chain as riskmap's anomaly export has: scale, negate, 2^x, sigmoid.
		g.Node[0].Output = []string{"sum"}
		g.Initializer = []*onnxpb.TensorProto{floatTensor("k", []int64{}, []float32{3}), floatTensor("two", []int64{}, []float32{2})}
		g.Node = append(g.Node,
			node("Div", "", []string{"sum", "k"}, []string{"scaled"}),
			node("Neg", "", []string{"scaled"}, []string{"neg"}),
			node("Pow", "", []string{"two", "neg"}, []string{"pow"}),
			node("Identity", "", []string{"pow"}, []string{"id"}),
			node("Sigmoid", "", []string{"id"}, []string{models.OutputName}))
	}
	return contractModel(g, models.KindRisk, feat4)
}

func TestNativeParityModes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		classifier bool
		ids        []int64
		positive   bool
		post       string
		base       []float32
		depth      int
	}{
		{"regressor, every mode, post chain", false, []int64{0}, false, "NONE", []float32{0.5}, 5},
		{"regressor, deep trees walked", false, []int64{0}, false, "NONE", nil, 14},
		{"classifier class 0 mixed weights logistic base", true, []int64{0}, false, "LOGISTIC", []float32{-0.3}, 4},
		{"classifier class 0 mixed weights none", true, []int64{0}, false, "NONE", nil, 4},
		{"classifier class 0 positive weights", true, []int64{0}, true, "NONE", nil, 4},
		{"classifier class 0 positive weights logistic", true, []int64{0}, true, "LOGISTIC", []float32{0.1}, 4},
		{"classifier class 1 logistic", true, []int64{1}, false, "LOGISTIC", nil, 4},
		{"classifier both classes none", true, []int64{0, 1}, true, "NONE", nil, 4},
		{"classifier both classes logistic", true, []int64{0, 1}, false, "LOGISTIC", nil, 4},
		{"classifier both classes softmax", true, []int64{0, 1}, false, "SOFTMAX", nil, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp := synthForest(uint64(len(tc.name)), tc.classifier, tc.ids, tc.positive, tc.post, tc.base, tc.depth)
			checkParity(t, mustParse(t, mustMarshal(t, mp)))
		})
	}
	t.Run("regressor, AVERAGE with a base value", func(t *testing.T) {
		mp := synthForest(3, false, []int64{0}, false, "NONE", []float32{0.75}, 5)
		for _, a := range mp.Graph.Node[0].Attribute {
			if a.GetName() == "aggregate_function" {
				a.S = []byte("AVERAGE")
			}
		}
		checkParity(t, mustParse(t, mustMarshal(t, mp)))
	})
}

func TestNativeRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		mp   func() *onnxpb.ModelProto
	}{
		{"logistic", logisticProto},
		{"three classes", func() *onnxpb.ModelProto {
			mp := synthForest(1, true, []int64{0, 1}, true, "NONE", nil, 3)
			for _, a := range mp.Graph.Node[0].Attribute {
				if a.GetName() == "classlabels_int64s" {
					a.Ints = []int64{0, 1, 2}
				}
			}
			return mp
		}},
		{"two base values", func() *onnxpb.ModelProto {
			return synthForest(1, true, []int64{0}, false, "LOGISTIC", []float32{0, 1}, 3)
		}},
		{"probit", func() *onnxpb.ModelProto { return synthForest(1, true, []int64{0, 1}, false, "PROBIT", nil, 3) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, mustMarshal(t, tc.mp()))
			_, err := models.NewScorer(m, models.ScorerOptions{Engine: models.EngineNative})
			if !errors.Is(err, models.ErrNotNative) {
				t.Fatalf("forced native: %v, want ErrNotNative", err)
			}
			s, err := models.NewScorer(m, models.ScorerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Engine() != models.EngineONNXRuntime {
				t.Errorf("auto engine %s, want onnxruntime", s.Engine())
			}
		})
	}
}
