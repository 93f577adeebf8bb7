package training

import (
	"fmt"
	"math"

	"github.com/riskmap/riskmap/models/onnxpb"
)

// predictParallelRows is the least batch worth scoring with several goroutines.
const predictParallelRows = 2048

// Predict writes the probability of each of rows rows of x (row-major, the training columns) to
// out. Trees compare float32 values with float32 thresholds and sum leaves in float32, as the
// ONNX export does in onnxruntime. It panics if len(x) != rows*features or len(out) < rows.
func (m *GBDT) Predict(x []float32, rows int, out []float32) {
	checkBatch("GBDT.Predict", x, rows, m.cols, out)
	threads := 1
	if rows >= predictParallelRows {
		threads = threadCount(0)
	}
	parallelChunks(rows, threads, func(_, lo, hi int) {
		sumLeaves(m.flat, x[lo*m.cols:hi*m.cols], m.cols, out[lo:hi])
		for i := lo; i < hi; i++ {
			out[i] = sigmoid32(out[i] + m.base)
		}
	})
}

func sigmoid32(z float32) float32 { return float32(1 / (1 + math.Exp(-float64(z)))) }

// checkBatch panics on a batch whose lengths do not fit: a caller's bug, not a data error.
func checkBatch(op string, x []float32, rows, cols int, out []float32) {
	if rows < 0 || len(x) != rows*cols || len(out) < rows {
		panic(fmt.Sprintf("training: %s: len(x) = %d, rows = %d, features = %d, len(out) = %d: want len(x) = rows*features and len(out) >= rows",
			op, len(x), rows, cols, len(out)))
	}
}

// ONNX exports the model: a TreeEnsembleRegressor (ai.onnx.ml 3) whose base_values holds the
// base log-odds, then Sigmoid, giving "score" float32 [N, 1]. features are the ordered input
// names (one per training column) and featureVersion the spec they come from; kind is
// models.KindRisk for a risk model.
func (m *GBDT) ONNX(kind string, features []string, featureVersion string) ([]byte, error) {
	if err := checkExport(kind, features, featureVersion, m.cols); err != nil {
		return nil, err
	}
	nodes := []*onnxpb.NodeProto{
		treeEnsemble("trees", "features", "logit", m.trees, "SUM", []float32{m.base}),
		opNode("Sigmoid", "", "sigmoid", []string{"logit"}, []string{"score"}),
	}
	return encodeModel("riskmap_gbdt", nodes, nil, kind, features, featureVersion)
}
