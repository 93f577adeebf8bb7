package models_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/models/onnxpb"
)

// fullForest is trees complete trees of the given depth over width features, LEQ splits with
// NaN sent either way, a sigmoid after them: the shape of riskmap's GBDT export.
func fullForest(trees, depth, width int, seed uint64) *onnxpb.ModelProto {
	rng := rand.New(rand.NewPCG(seed, 2))
	var treeIDs, nodeIDs, feats, yes, no, missing, wTree, wNode, wID []int64
	var modes []string
	var vals, weights []float32
	inner := int64(1)<<depth - 1
	for t := range int64(trees) {
		for n := range 2*inner + 1 {
			treeIDs, nodeIDs = append(treeIDs, t), append(nodeIDs, n)
			if n >= inner {
				modes, feats, vals = append(modes, "LEAF"), append(feats, 0), append(vals, 0)
				yes, no, missing = append(yes, 0), append(no, 0), append(missing, 0)
				wTree, wNode, wID, weights = append(wTree, t), append(wNode, n), append(wID, 0), append(weights, float32(rng.NormFloat64()/10))
				continue
			}
			modes, feats, vals = append(modes, "BRANCH_LEQ"), append(feats, int64(rng.IntN(width))), append(vals, float32(rng.NormFloat64()))
			yes, no, missing = append(yes, 2*n+1), append(no, 2*n+2), append(missing, int64(rng.IntN(2)))
		}
	}
	names := make([]string, width)
	for i := range names {
		names[i] = fmt.Sprintf("f%d", i)
	}
	reg := node("TreeEnsembleRegressor", models.DomainML, []string{models.InputName}, []string{"logit"},
		attrInt("n_targets", 1), attrString("aggregate_function", "SUM"), attrString("post_transform", "NONE"),
		attrInts("nodes_treeids", treeIDs...), attrInts("nodes_nodeids", nodeIDs...), attrInts("nodes_featureids", feats...),
		attrStrings("nodes_modes", modes...), attrFloats("nodes_values", vals...), attrInts("nodes_truenodeids", yes...),
		attrInts("nodes_falsenodeids", no...), attrInts("nodes_missing_value_tracks_true", missing...),
		attrInts("target_treeids", wTree...), attrInts("target_nodeids", wNode...), attrInts("target_ids", wID...),
		attrFloats("target_weights", weights...), attrFloats("base_values", 0.1))
	g := &onnxpb.GraphProto{
		Name:   proto.String("forest"),
		Node:   []*onnxpb.NodeProto{reg, node("Sigmoid", "", []string{"logit"}, []string{models.OutputName})},
		Input:  []*onnxpb.ValueInfoProto{models.InputInfo(width)},
		Output: []*onnxpb.ValueInfoProto{models.OutputInfo(2)},
	}
	return contractModel(g, models.KindRisk, names)
}

// BenchmarkScoreEngines scores 100k rows of 40 features with 200 complete depth-6 trees through
// the native evaluator and onnxruntime, 1 and 2 threads.
func BenchmarkScoreEngines(b *testing.B) {
	const rows, width = 100_000, 40
	m := mustParse(b, mustMarshal(b, fullForest(200, 6, width, 1)))
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, rows*width)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	out := make([]float32, rows)
	for _, eng := range []models.Engine{models.EngineNative, models.EngineONNXRuntime} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", eng, threads), func(b *testing.B) {
				s, err := models.NewScorer(m, models.ScorerOptions{Engine: eng, IntraOpThreads: threads})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				for b.Loop() {
					if err := s.Score(x, rows, out); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
