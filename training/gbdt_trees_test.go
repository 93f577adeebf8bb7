package training_test

import (
	"math"
	"testing"
	"time"

	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/training"
)

// The shape of exported trees: limits, and covers for explanations.

// treeShapes returns each exported tree's leaf count and depth.
func treeShapes(t *testing.T, b []byte) (leaves, depths map[int64]int) {
	t.Helper()
	m, err := models.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	leaves, depths = map[int64]int{}, map[int64]int{}
	for _, n := range m.Proto.GetGraph().GetNode() {
		if n.GetOpType() != "TreeEnsembleRegressor" {
			continue
		}
		attr := map[string][]int64{}
		var modes [][]byte
		for _, a := range n.GetAttribute() {
			attr[a.GetName()] = a.GetInts()
			if a.GetName() == "nodes_modes" {
				modes = a.GetStrings()
			}
		}
		type key struct{ tree, node int64 }
		children := map[key][2]int64{}
		for i, tr := range attr["nodes_treeids"] {
			if string(modes[i]) == "LEAF" {
				leaves[tr]++
				continue
			}
			children[key{tr, attr["nodes_nodeids"][i]}] = [2]int64{attr["nodes_truenodeids"][i], attr["nodes_falsenodeids"][i]}
		}
		var depth func(tr, id int64) int
		depth = func(tr, id int64) int {
			c, ok := children[key{tr, id}]
			if !ok {
				return 0
			}
			return 1 + max(depth(tr, c[0]), depth(tr, c[1]))
		}
		for tr := range leaves {
			depths[tr] = depth(tr, 0)
		}
	}
	return leaves, depths
}

func TestGBDTTreeLimits(t *testing.T) {
	d := riskData(9, 5000, 10, time.Time{})
	for _, tc := range []struct {
		name              string
		depth, maxLeaves  int
		wantLeaves, wantD int
	}{
		{"depth 3", 3, 0, 8, 3},
		{"depth 6, 5 leaves", 6, 5, 5, 4},
		{"depth 8, 12 leaves", 8, 12, 12, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := training.DefaultGBDTConfig()
			cfg.Trees, cfg.MaxDepth, cfg.MaxLeaves, cfg.MinChildWeight = 10, tc.depth, tc.maxLeaves, 0.01
			b, err := trainGBDT(t, d, nil, cfg).ONNX(models.KindRisk, d.Features, d.FeatureVersion)
			if err != nil {
				t.Fatal(err)
			}
			leaves, depths := treeShapes(t, b)
			most := 0
			for tr, n := range leaves {
				most = max(most, n)
				if n > tc.wantLeaves || depths[tr] > tc.depth || depths[tr] > tc.wantD {
					t.Errorf("tree %d: %d leaves, depth %d: want at most %d leaves and depth %d", tr, n, depths[tr], tc.wantLeaves, min(tc.depth, tc.wantD))
				}
			}
			if most != tc.wantLeaves {
				t.Errorf("largest tree has %d leaves: want the limit %d reached", most, tc.wantLeaves)
			}
		})
	}
}

func TestGBDTCoversAddUp(t *testing.T) {
	d := riskData(13, 3000, 8, time.Time{})
	cfg := training.DefaultGBDTConfig()
	cfg.Trees = 5
	b, err := trainGBDT(t, d, nil, cfg).ONNX(models.KindRisk, d.Features, d.FeatureVersion)
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range m.Proto.GetGraph().GetNode() {
		if n.GetOpType() != "TreeEnsembleRegressor" {
			continue
		}
		ints := map[string][]int64{}
		var rates []float32
		var modes [][]byte
		for _, a := range n.GetAttribute() {
			ints[a.GetName()] = a.GetInts()
			switch a.GetName() {
			case "nodes_hitrates":
				rates = a.GetFloats()
			case "nodes_modes":
				modes = a.GetStrings()
			}
		}
		type key struct{ tree, node int64 }
		cover := map[key]float64{}
		for i := range rates {
			cover[key{ints["nodes_treeids"][i], ints["nodes_nodeids"][i]}] = float64(rates[i])
		}
		for i := range rates {
			if string(modes[i]) == "LEAF" {
				continue
			}
			tr := ints["nodes_treeids"][i]
			parent := float64(rates[i])
			sum := cover[key{tr, ints["nodes_truenodeids"][i]}] + cover[key{tr, ints["nodes_falsenodeids"][i]}]
			if parent <= 0 || math.Abs(parent-sum) > 1e-4*parent {
				t.Errorf("tree %d node %d: cover %v, children %v: want equal and positive", tr, ints["nodes_nodeids"][i], parent, sum)
			}
		}
	}
}
