package models_test

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/models/onnxpb"
)

// TestSaabasByHand checks the tree model's contributions against values worked out by hand
// (see treeGraph for the node values), and the identity Σ contributions = score - root value with
// the score from onnxruntime.
func TestSaabasByHand(t *testing.T) {
	nan := float32(math.NaN())
	m := mustParse(t, mustMarshal(t, treeProto()))
	s, _ := newScorer(t, treeProto(), models.ScorerOptions{IntraOpThreads: 1})
	e, err := models.NewExplainer(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.Method() != models.MethodSaabas {
		t.Fatalf("method %s", e.Method())
	}
	for _, tc := range []struct {
		name string
		row  []float32
		want []float32
	}{
		// tree 0 root 0.03 -> n1 0.1: a +0.07; tree 1 root 0.075 -> n1 0.3: c +0.225
		{"left left", []float32{0.2, 9, 0.5}, []float32{0.07, 0, 0.225}},
		// tree 0 root 0.03 -> n2 0 -> n3 0.5: a -0.03, b +0.5; tree 1 -> n2 -0.15: c -0.225
		{"right, b < 2", []float32{1, 1, 2}, []float32{-0.03, 0.5, -0.225}},
		// tree 0 -> n2 -> n4 -0.2: a -0.03, b -0.2; tree 1, NaN tracks true -> n1: c +0.225
		{"NaN c", []float32{1, 3, nan}, []float32{-0.03, -0.2, 0.225}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := e.Explain(tc.row, nil)
			if err != nil {
				t.Fatal(err)
			}
			for j := range tc.want {
				if math.Abs(float64(x.Contributions[j]-tc.want[j])) > 1e-6 {
					t.Fatalf("contributions %v, want %v", x.Contributions, tc.want)
				}
			}
			got, err := models.Contributions(m, nil, tc.row, nil)
			if err != nil || !slices.Equal(got, x.Contributions) {
				t.Fatalf("Contributions %v (%v), Explain %v", got, err, x.Contributions)
			}
			score := make([]float32, 1)
			if err := s.Score(tc.row, 1, score); err != nil {
				t.Fatal(err)
			}
			if math.Abs(x.Base-treeRootValue) > 1e-6 {
				t.Fatalf("base %v, want the root value %v", x.Base, treeRootValue)
			}
			if d := sum(x.Contributions) - (float64(score[0]) - treeRootValue); math.Abs(d) > 1e-5 {
				t.Fatalf("Σ contributions %v, score %v - root %v: off by %v", sum(x.Contributions), score[0], treeRootValue, d)
			}
		})
	}
}

func sum(c []float32) float64 {
	var s float64
	for _, v := range c {
		s += float64(v)
	}
	return s
}

func attr(n *onnxpb.NodeProto, name string) *onnxpb.AttributeProto {
	for _, a := range n.Attribute {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

func dropAttr(n *onnxpb.NodeProto, name string) {
	n.Attribute = slices.DeleteFunc(n.Attribute, func(a *onnxpb.AttributeProto) bool { return a.GetName() == name })
}

// asFloatTensor moves a FLOATS attribute to its *_as_tensor twin, a float tensor (onnxruntime
// wants the twin's type to be the input's), in raw_data when raw is set.
func asFloatTensor(n *onnxpb.NodeProto, name string, raw bool) {
	a := attr(n, name)
	t := &onnxpb.TensorProto{DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: []int64{int64(len(a.Floats))}}
	if raw {
		for _, v := range a.Floats {
			t.RawData = binary.LittleEndian.AppendUint32(t.RawData, math.Float32bits(v))
		}
	} else {
		t.FloatData = a.Floats
	}
	dropAttr(n, name)
	n.Attribute = append(n.Attribute, &onnxpb.AttributeProto{Name: proto.String(name + "_as_tensor"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: t})
}

func setModes(n *onnxpb.NodeProto, tree0, tree1 string) {
	a := attr(n, "nodes_modes")
	a.Strings[0], a.Strings[2], a.Strings[5] = []byte(tree0), []byte(tree0), []byte(tree1)
}

// TestSaabasMatchesRuntime checks, for every branch mode, with and without covers, with
// thresholds as double tensors, after a sigmoid and as a binary classifier, that the Saabas
// walk takes the same paths as onnxruntime: Base + Σ contributions must equal the runtime's
// margin for random rows that include NaN and values right on the thresholds.
func TestSaabasMatchesRuntime(t *testing.T) {
	logit := func(p float64) float64 { return math.Log(p / (1 - p)) }
	ident := func(p float64) float64 { return p }
	for _, tc := range []struct {
		name   string
		mp     func() *onnxpb.ModelProto
		margin func(float64) float64 // the runtime's score back to the ensemble's margin
	}{
		{"LEQ and LT", treeProto, ident},
		{"GT and GTE", func() *onnxpb.ModelProto {
			mp := treeProto()
			setModes(mp.Graph.Node[0], "BRANCH_GT", "BRANCH_GTE")
			return mp
		}, ident},
		{"EQ and NEQ", func() *onnxpb.ModelProto {
			mp := treeProto()
			setModes(mp.Graph.Node[0], "BRANCH_EQ", "BRANCH_NEQ")
			return mp
		}, ident},
		{"no covers", func() *onnxpb.ModelProto {
			mp := treeProto()
			dropAttr(mp.Graph.Node[0], "nodes_hitrates")
			return mp
		}, ident},
		{"attributes as tensors", func() *onnxpb.ModelProto {
			mp := treeProto()
			for i, a := range []string{"nodes_values", "target_weights", "base_values", "nodes_hitrates"} {
				asFloatTensor(mp.Graph.Node[0], a, i%2 == 0)
			}
			return mp
		}, ident},
		{"average", func() *onnxpb.ModelProto {
			mp := treeProto()
			attr(mp.Graph.Node[0], "aggregate_function").S = []byte("AVERAGE")
			return mp
		}, ident},
		// onnxruntime applies no LOGISTIC post transform to a one-target regressor (only PROBIT):
		// the score stays the margin. Riskmap's trainers put a Sigmoid node after the trees.
		{"logistic post transform", func() *onnxpb.ModelProto {
			mp := treeProto()
			attr(mp.Graph.Node[0], "post_transform").S = []byte("LOGISTIC")
			return mp
		}, ident},
		{"sigmoid node", func() *onnxpb.ModelProto {
			mp := treeProto()
			g := mp.Graph
			g.Node[0].Output[0] = "margin"
			g.Node = append(g.Node, node("Sigmoid", "", []string{"margin"}, []string{models.OutputName}))
			return mp
		}, logit},
		{"binary classifier", classifierProto, logit},
		{"binary classifier, class 0 weights and a base", func() *onnxpb.ModelProto {
			mp := classifierProto()
			n := mp.Graph.Node[0]
			attr(n, "class_ids").Ints = []int64{0, 0, 0, 0, 0}
			n.Attribute = append(n.Attribute, attrFloats("base_values", 0.05))
			return mp
		}, logit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp := tc.mp()
			s, b := newScorer(t, mp, models.ScorerOptions{IntraOpThreads: 1})
			onnxCheck(t, b)
			e, err := models.NewExplainer(s.Model(), s)
			if err != nil {
				t.Fatal(err)
			}
			if e.Method() != models.MethodSaabas {
				t.Fatalf("method %s", e.Method())
			}
			rng := rand.New(rand.NewPCG(7, 11))
			specials := []float32{0.5, 1, 2, float32(math.NaN()), -1, 3}
			for i := range 200 {
				row := make([]float32, 3)
				for j := range row {
					if rng.IntN(3) == 0 {
						row[j] = specials[rng.IntN(len(specials))]
					} else {
						row[j] = float32(rng.NormFloat64() + 1)
					}
				}
				score := make([]float32, 1)
				if err := s.Score(row, 1, score); err != nil {
					t.Fatal(err)
				}
				x, err := e.Explain(row, nil)
				if err != nil {
					t.Fatal(err)
				}
				want := tc.margin(float64(score[0]))
				if d := x.Base + sum(x.Contributions) - want; math.Abs(d) > 1e-4 || math.Abs(x.Value-want) > 1e-4 {
					t.Fatalf("row %d %v: base %v + Σ %v = %v, value %v; runtime margin %v", i, row, x.Base, sum(x.Contributions), x.Base+sum(x.Contributions), x.Value, want)
				}
			}
		})
	}
}

// classifierProto is the tree model as a binary TreeEnsembleClassifier (weights for class 1 only,
// no base value, LOGISTIC) whose positive-class probability is sliced out as the score.
func classifierProto() *onnxpb.ModelProto {
	mp := treeProto()
	n := mp.Graph.Node[0]
	n.OpType = proto.String("TreeEnsembleClassifier")
	n.Output = []string{"label", "probabilities"}
	for _, old := range []string{"target_treeids", "target_nodeids", "target_ids", "target_weights"} {
		attr(n, old).Name = proto.String("class_" + strings.TrimPrefix(old, "target_"))
	}
	attr(n, "class_ids").Ints = []int64{1, 1, 1, 1, 1}
	attr(n, "post_transform").S = []byte("LOGISTIC")
	dropAttr(n, "base_values")
	dropAttr(n, "n_targets")
	dropAttr(n, "aggregate_function")
	n.Attribute = append(n.Attribute, attrInts("classlabels_int64s", 0, 1))
	g := mp.Graph
	for i, v := range []int64{1, 2, 1} {
		g.Initializer = append(g.Initializer, &onnxpb.TensorProto{Name: proto.String([]string{"s", "e", "ax"}[i]),
			DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: []int64{1}, Int64Data: []int64{v}})
	}
	g.Node = append(g.Node, node("Slice", "", []string{"probabilities", "s", "e", "ax"}, []string{models.OutputName}))
	return mp
}

// TestPerturbation explains the logistic model, which has no trees: each contribution is the
// score minus the score with that feature set to its reference value.
func TestPerturbation(t *testing.T) {
	s, _ := newScorer(t, logisticProto(), models.ScorerOptions{IntraOpThreads: 1})
	m := s.Model()
	row, ref := []float32{1, -2, 0.5}, []float32{0.5, 0, 0.5}
	e, err := models.NewExplainer(m, s)
	if err != nil {
		t.Fatal(err)
	}
	if e.Method() != models.MethodPerturbation {
		t.Fatalf("method %s", e.Method())
	}
	for range 2 { // twice: the explainer reuses its buffers
		x, err := e.Explain(row, ref)
		if err != nil {
			t.Fatal(err)
		}
		for j := range row {
			r := slices.Clone(row)
			r[j] = ref[j]
			want := logistic(row) - logistic(r)
			if math.Abs(float64(x.Contributions[j]-want)) > 1e-6 {
				t.Fatalf("feature %d: %v, want %v", j, x.Contributions[j], want)
			}
		}
		if math.Abs(x.Value-float64(logistic(row))) > 1e-6 || math.Abs(x.Base-float64(logistic(ref))) > 1e-6 {
			t.Fatalf("value %v base %v", x.Value, x.Base)
		}
		if x.Contributions[2] != 0 {
			t.Fatalf("a feature at its reference contributes %v", x.Contributions[2])
		}
	}
	if _, err := models.Contributions(m, nil, row, ref); err == nil || !strings.Contains(err.Error(), "Scorer") {
		t.Fatalf("perturbation without a scorer: %v", err)
	}
	if _, err := e.Explain(row, ref[:2]); err == nil {
		t.Fatal("short reference accepted")
	}
	if _, err := e.Explain(row[:2], ref); err == nil {
		t.Fatal("short row accepted")
	}
}

// TestAmbiguousClassifierUsesPerturbation: two base values for a one-class binary classifier make
// onnxruntime's margin a guess, so such a model is explained by perturbation.
func TestAmbiguousClassifierUsesPerturbation(t *testing.T) {
	mp := classifierProto()
	mp.Graph.Node[0].Attribute = append(mp.Graph.Node[0].Attribute, attrFloats("base_values", 0, 0.05))
	s, _ := newScorer(t, mp, models.ScorerOptions{IntraOpThreads: 1})
	e, err := models.NewExplainer(s.Model(), s)
	if err != nil {
		t.Fatal(err)
	}
	if e.Method() != models.MethodPerturbation {
		t.Fatalf("method %s", e.Method())
	}
	if _, err := e.Explain([]float32{1, 1, 1}, []float32{0, 0, 0}); err != nil {
		t.Fatal(err)
	}
}

// TestImportedTreesUsePerturbation: a stamped model's tree covers are not riskmap's, so even a
// tree ensemble is explained by perturbation.
func TestImportedTreesUsePerturbation(t *testing.T) {
	mp := treeProto()
	mp.MetadataProps = nil
	out, _, err := models.Stamp(mustMarshal(t, mp), models.KindRisk, testFeatures, testFeatureVersion)
	if err != nil {
		t.Fatal(err)
	}
	m := mustParse(t, out)
	s, err := models.NewScorer(m, models.ScorerOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e, err := models.NewExplainer(m, s)
	if err != nil {
		t.Fatal(err)
	}
	if e.Method() != models.MethodPerturbation {
		t.Fatalf("method %s", e.Method())
	}
	// a: 1 -> 0 moves tree 0 from n3 (0.5) to n1 (0.1): +0.4 to the score.
	c, err := models.Contributions(m, s, []float32{1, 1, 0}, []float32{0, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(c[0])-0.4) > 1e-6 || c[1] != 0 || c[2] != 0 {
		t.Fatalf("contributions %v, want [0.4 0 0]", c)
	}
}

func TestTopReasons(t *testing.T) {
	names := []string{"public_ip", "admin_ports_open", "age_days", "kev_products"}
	row := []float32{1, 2, 412.5, 0}
	for _, tc := range []struct {
		name    string
		contrib []float32
		k       int
		want    []string
	}{
		{"largest first", []float32{0.12, 0.5, -0.3, 0.01}, 2, []string{"admin_ports_open=2 (+0.5)", "public_ip=1 (+0.12)"}},
		{"only positive", []float32{-0.1, 0.25, -0.3, 0}, 3, []string{"admin_ports_open=2 (+0.25)"}},
		{"k beyond", []float32{0.1, 0.2, 0.0034, 0}, 10, []string{"admin_ports_open=2 (+0.2)", "public_ip=1 (+0.1)", "age_days=412.5 (+0.0034)"}},
		{"k zero", []float32{0.1, 0.2, 0.3, 0.4}, 0, []string{}},
		{"ties keep feature order", []float32{0.2, 0.2, 0, 0}, 2, []string{"public_ip=1 (+0.2)", "admin_ports_open=2 (+0.2)"}},
		{"short contributions", []float32{0.3}, 2, []string{"public_ip=1 (+0.3)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := models.TopReasons(names, row, tc.contrib, tc.k)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestMalformedTrees: tree attributes that do not form trees are refused by name, never walked.
func TestMalformedTrees(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(n *onnxpb.NodeProto)
		want   string
	}{
		{"feature out of range", func(n *onnxpb.NodeProto) { attr(n, "nodes_featureids").Ints[0] = 5 }, "feature 5 of 3"},
		{"child missing", func(n *onnxpb.NodeProto) { attr(n, "nodes_truenodeids").Ints[2] = 9 }, "lacks"},
		{"cycle", func(n *onnxpb.NodeProto) { attr(n, "nodes_truenodeids").Ints[2] = 0 }, "unreachable"},
		{"short attribute", func(n *onnxpb.NodeProto) { a := attr(n, "nodes_values"); a.Floats = a.Floats[:3] }, "nodes_values has 3 entries"},
		{"node twice", func(n *onnxpb.NodeProto) { attr(n, "nodes_nodeids").Ints[1] = 0 }, "appears twice"},
		{"weight on a branch", func(n *onnxpb.NodeProto) { attr(n, "target_nodeids").Ints[0] = 0 }, "branch node"},
		{"weight on no node", func(n *onnxpb.NodeProto) { attr(n, "target_nodeids").Ints[0] = 7 }, "does not exist"},
		{"unknown mode", func(n *onnxpb.NodeProto) { attr(n, "nodes_modes").Strings[0] = []byte("BRANCH_ODD") }, "needs its Scorer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp := treeProto()
			tc.mutate(mp.Graph.Node[0])
			_, err := models.NewExplainer(mustParse(t, mustMarshal(t, mp)), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
