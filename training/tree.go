package training

// node is one node of a trained tree. A leaf has feature -1 and holds value; a split sends
// x[feature] <= threshold (or a missing value when missingLeft) to left, the rest to right.
type node struct {
	feature     int32
	threshold   float32
	bin         uint8 // the split as a bin code: code <= bin goes left (training only)
	missingLeft bool
	left, right int32
	value       float32 // leaf output, learning rate applied
	cover       float64 // hessian sum (GBDT) or count (isolation) of the training rows there
	gain        float64 // loss reduction of the split
}

// tree is a binary tree whose root is nodes[0]; children always follow their parent.
type tree struct{ nodes []node }

// leafOfCodes returns the index of the leaf a row of bin codes reaches: by construction of the
// bins, the leaf its values reach.
func (t *tree) leafOfCodes(codes []uint8) int {
	i := 0
	for {
		n := &t.nodes[i]
		if n.feature < 0 {
			return i
		}
		c := codes[n.feature]
		if c <= n.bin || (n.missingLeft && c == missingBin) {
			i = int(n.left)
		} else {
			i = int(n.right)
		}
	}
}

// depth returns the number of edges on the longest root-to-leaf path.
func (t *tree) depth() int {
	var walk func(i, d int) int
	walk = func(i, d int) int {
		n := &t.nodes[i]
		if n.feature < 0 {
			return d
		}
		return max(walk(int(n.left), d+1), walk(int(n.right), d+1))
	}
	return walk(0, 0)
}
