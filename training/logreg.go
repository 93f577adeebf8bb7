package training

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/riskmap/riskmap/models/onnxpb"
)

// LogReg is a trained logistic regression on standardised features: a missing value takes the
// training mean, z = (x - mean) / scale, and the score is sigmoid(bias + w.z). The
// standardisation is part of the model and of its ONNX export. Safe for concurrent use.
type LogReg struct {
	mean, scale    []float32
	weights        []float32
	bias           float32
	cols           int
	features       []string
	featureVersion string
	iterations     int
	converged      bool
}

// Weights returns the weights of the standardised features: each one is the change in
// log-odds per standard deviation of its feature.
func (m *LogReg) Weights() []float32 { return append([]float32(nil), m.weights...) }

// Features returns the feature names of the training data (nil when it had none).
func (m *LogReg) Features() []string { return append([]string(nil), m.features...) }

// FeatureVersion returns the feature version of the training data.
func (m *LogReg) FeatureVersion() string { return m.featureVersion }

// Converged reports whether Newton's method met the tolerance within MaxIter steps, and how
// many steps it took.
func (m *LogReg) Converged() (bool, int) { return m.converged, m.iterations }

// logregChunkRows is the fixed chunk of rows whose partial sums are reduced in chunk order,
// which makes the fit independent of the thread count.
const logregChunkRows = 4096

// TrainLogReg fits an L2-regularised logistic regression to d's labels by Newton's method with
// a backtracking line search. Standardisation (mean, standard deviation) is learned from d,
// ignoring NaN; a NaN is imputed with the mean. Infinite values are refused. A model that did
// not converge in cfg.MaxIter steps is still returned; Converged says so.
func TrainLogReg(ctx context.Context, d Dataset, cfg LogRegConfig) (*LogReg, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("train logreg: %w", err)
	}
	if d.Cols < 1 {
		return nil, fmt.Errorf("train logreg: %w: no columns", ErrDataset)
	}
	if _, err := d.checkLabels(); err != nil {
		return nil, fmt.Errorf("train logreg: %w", err)
	}
	if err := d.checkNoInf(); err != nil {
		return nil, fmt.Errorf("train logreg: %w", err)
	}
	m := &LogReg{cols: d.Cols, features: append([]string(nil), d.Features...), featureVersion: d.FeatureVersion}
	m.mean, m.scale = standardisation(d)
	f := &logregFit{d: d, m: m, l2: cfg.L2, threads: threadCount(cfg.Threads)}
	p := d.Cols + 1 // the intercept is beta[0]
	beta := make([]float64, p)
	loss, grad, hess := f.evaluate(beta, true)
	for it := 1; it <= cfg.MaxIter; it++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("train logreg: step %d: %w", it, err)
		}
		step, err := newtonStep(hess, grad)
		if err != nil {
			return nil, fmt.Errorf("train logreg: step %d: %w", it, err)
		}
		// Backtrack until the loss decreases enough (Armijo), halving the step.
		slope := mat.Dot(mat.NewVecDense(p, grad), mat.NewVecDense(p, step))
		t, next := 1.0, make([]float64, p)
		var nextLoss float64
		for range 40 {
			for i := range beta {
				next[i] = beta[i] - t*step[i]
			}
			nextLoss, _, _ = f.evaluate(next, false)
			if nextLoss <= loss-1e-4*t*slope {
				break
			}
			t /= 2
		}
		moved := 0.0
		for i := range beta {
			moved = max(moved, math.Abs(next[i]-beta[i]))
		}
		copy(beta, next)
		m.iterations = it
		if moved < cfg.Tol {
			m.converged = true
			break
		}
		loss, grad, hess = f.evaluate(beta, true)
	}
	m.bias = float32(beta[0])
	m.weights = make([]float32, d.Cols)
	for j := range m.weights {
		m.weights[j] = float32(beta[j+1])
	}
	return m, nil
}

// standardisation returns each column's mean and standard deviation over its non-NaN values,
// as float32; a constant or empty column gets scale 1 (it only ever standardises to 0). Two
// passes in row order, so the matrix is read as it lies in memory.
func standardisation(d Dataset) (mean, scale []float32) {
	sum, n, ss := make([]float64, d.Cols), make([]float64, d.Cols), make([]float64, d.Cols)
	for i := range d.Rows {
		for j, v := range d.X[i*d.Cols : (i+1)*d.Cols] {
			if v == v {
				sum[j] += float64(v)
				n[j]++
			}
		}
	}
	mu := make([]float64, d.Cols)
	for j := range mu {
		if n[j] > 0 {
			mu[j] = sum[j] / n[j]
		}
	}
	for i := range d.Rows {
		for j, v := range d.X[i*d.Cols : (i+1)*d.Cols] {
			if v == v {
				dv := float64(v) - mu[j]
				ss[j] += dv * dv
			}
		}
	}
	mean, scale = make([]float32, d.Cols), make([]float32, d.Cols)
	for j := range mean {
		mean[j], scale[j] = float32(mu[j]), 1
		if n[j] > 0 {
			if sd := float32(math.Sqrt(ss[j] / n[j])); sd > 0 && !math.IsInf(float64(sd), 0) {
				scale[j] = sd
			}
		}
	}
	return mean, scale
}

// standardise writes the standardised row to z, in float32 steps as the ONNX graph takes them.
func (m *LogReg) standardise(row, z []float32) {
	for j, v := range row {
		if v != v {
			v = m.mean[j]
		}
		z[j] = (v - m.mean[j]) / m.scale[j]
	}
}

// logregFit evaluates the objective over the data in fixed chunks.
type logregFit struct {
	d       Dataset
	m       *LogReg
	l2      float64
	threads int
}

// evaluate returns the penalised loss at beta and, when derivs, its gradient and Hessian.
func (f *logregFit) evaluate(beta []float64, derivs bool) (float64, []float64, *mat.SymDense) {
	p := len(beta)
	chunks := (f.d.Rows + logregChunkRows - 1) / logregChunkRows
	type partial struct {
		loss float64
		grad []float64
		hess []float64 // p*p, upper triangle filled
	}
	parts := make([]partial, chunks)
	parallelFor(chunks, f.threads, func(c int) {
		pt := partial{}
		if derivs {
			pt.grad, pt.hess = make([]float64, p), make([]float64, p*p)
		}
		z32 := make([]float32, f.d.Cols)
		z := make([]float64, p)
		z[0] = 1
		for i := c * logregChunkRows; i < min((c+1)*logregChunkRows, f.d.Rows); i++ {
			f.m.standardise(f.d.X[i*f.d.Cols:(i+1)*f.d.Cols], z32)
			eta := beta[0]
			for j, v := range z32 {
				z[j+1] = float64(v)
				eta += beta[j+1] * float64(v)
			}
			y := float64(f.d.Y[i])
			pt.loss += softplus(eta) - y*eta
			if !derivs {
				continue
			}
			pr := 1 / (1 + math.Exp(-eta))
			w, r := pr*(1-pr), pr-y
			for a := range p {
				pt.grad[a] += r * z[a]
				wa := w * z[a]
				row := pt.hess[a*p:]
				for b := a; b < p; b++ {
					row[b] += wa * z[b]
				}
			}
		}
		parts[c] = pt
	})
	var loss float64
	for j := 1; j < p; j++ {
		loss += 0.5 * f.l2 * beta[j] * beta[j]
	}
	for _, pt := range parts {
		loss += pt.loss
	}
	if !derivs {
		return loss, nil, nil
	}
	grad := make([]float64, p)
	hess := mat.NewSymDense(p, nil)
	sum := make([]float64, p*p)
	for _, pt := range parts {
		for a, v := range pt.grad {
			grad[a] += v
		}
		for a, v := range pt.hess {
			sum[a] += v
		}
	}
	for a := range p {
		for b := a; b < p; b++ {
			hess.SetSym(a, b, sum[a*p+b])
		}
		if a > 0 {
			grad[a] += f.l2 * beta[a]
			hess.SetSym(a, a, hess.At(a, a)+f.l2)
		}
	}
	return loss, grad, hess
}

// newtonStep solves hess * step = grad by Cholesky, adding a growing ridge when hess is not
// positive definite (collinear features without L2).
func newtonStep(hess *mat.SymDense, grad []float64) ([]float64, error) {
	p := len(grad)
	ridge := 0.0
	for try := range 12 {
		h := hess
		if ridge > 0 {
			h = mat.NewSymDense(p, nil)
			h.CopySym(hess)
			for a := range p {
				h.SetSym(a, a, h.At(a, a)+ridge)
			}
		}
		var ch mat.Cholesky
		if ch.Factorize(h) {
			var step mat.VecDense
			if err := ch.SolveVecTo(&step, mat.NewVecDense(p, grad)); err == nil {
				return step.RawVector().Data, nil
			}
		}
		ridge = math.Ldexp(1e-10, 2*try) * max(1, maxDiag(hess))
	}
	return nil, fmt.Errorf("hessian not positive definite even with a ridge: features may be degenerate")
}

func maxDiag(s *mat.SymDense) float64 {
	m := 0.0
	for a := range s.SymmetricDim() {
		m = max(m, s.At(a, a))
	}
	return m
}

// Predict writes the probability of each of rows rows of x to out. It panics if
// len(x) != rows*features or len(out) < rows.
func (m *LogReg) Predict(x []float32, rows int, out []float32) {
	checkBatch("LogReg.Predict", x, rows, m.cols, out)
	z := make([]float32, m.cols)
	for i := range rows {
		m.standardise(x[i*m.cols:(i+1)*m.cols], z)
		eta := 0.0
		for j, v := range z {
			eta += float64(m.weights[j]) * float64(v)
		}
		out[i] = sigmoid32(float32(eta) + m.bias)
	}
}

// ONNX exports the model as IsNaN and Where (a missing value takes the training mean) -> Sub
// (mean) -> Div (scale) -> MatMul (weights) -> Add (bias) -> Sigmoid, giving "score" float32
// [N, 1]. Standard operators only, so onnx shape inference types every value.
func (m *LogReg) ONNX(kind string, features []string, featureVersion string) ([]byte, error) {
	if err := checkExport(kind, features, featureVersion, m.cols); err != nil {
		return nil, err
	}
	f := int64(m.cols)
	nodes := []*onnxpb.NodeProto{
		opNode("IsNaN", "", "missing", []string{"features"}, []string{"missing"}),
		opNode("Where", "", "impute", []string{"missing", "mean", "features"}, []string{"imputed"}),
		opNode("Sub", "", "centre", []string{"imputed", "mean"}, []string{"centred"}),
		opNode("Div", "", "scale", []string{"centred", "scale"}, []string{"standardised"}),
		opNode("MatMul", "", "dot", []string{"standardised", "weights"}, []string{"dot"}),
		opNode("Add", "", "bias", []string{"dot", "bias"}, []string{"logit"}),
		opNode("Sigmoid", "", "sigmoid", []string{"logit"}, []string{"score"}),
	}
	inits := []*onnxpb.TensorProto{
		floatTensor("mean", []int64{f}, m.mean),
		floatTensor("scale", []int64{f}, m.scale),
		floatTensor("weights", []int64{f, 1}, m.weights),
		floatTensor("bias", []int64{1}, []float32{m.bias}),
	}
	return encodeModel("riskmap_logreg", nodes, inits, kind, features, featureVersion)
}
