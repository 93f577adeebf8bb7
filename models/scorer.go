package models

import (
	"errors"
	"fmt"
	"runtime"

	ort "github.com/yalue/onnxruntime_go"
)

// DefaultBatchRows is how many rows a Scorer feeds onnxruntime at once unless told otherwise:
// large enough to amortise a run's overhead, small enough to keep a batch in cache-friendly
// memory (65536 rows of 64 features is 16 MiB).
const DefaultBatchRows = 65536

// ScorerOptions configures a Scorer. Zero values mean the documented defaults.
type ScorerOptions struct {
	// IntraOpThreads is the threads one Score call uses: onnxruntime's threads inside one
	// operator, or the native evaluator's goroutines; 0 = runtime.NumCPU().
	IntraOpThreads int
	BatchRows      int // rows per onnxruntime run; 0 = DefaultBatchRows
	// Engine picks what runs the model: EngineAuto (the zero value) compiles tree ensembles for
	// the native evaluator and runs everything else through onnxruntime; EngineNative or
	// EngineONNXRuntime forces one (a model native cannot run is then an error).
	Engine Engine
}

// Validate refuses negative settings rather than guessing what they meant.
func (o ScorerOptions) Validate() error {
	if o.IntraOpThreads < 0 {
		return fmt.Errorf("scorer options: IntraOpThreads %d: want 0 (all CPUs) or more", o.IntraOpThreads)
	}
	if o.BatchRows < 0 {
		return fmt.Errorf("scorer options: BatchRows %d: want 0 (default %d) or more", o.BatchRows, DefaultBatchRows)
	}
	if _, err := ParseEngine(string(o.Engine)); err != nil {
		return fmt.Errorf("scorer options: %w", err)
	}
	return nil
}

// Scorer runs one model, through the native tree evaluator or onnxruntime (see Engine). With
// onnxruntime it owns one session, reused for every batch, and the input and output tensors of a
// full batch; Close releases them. A Scorer is not safe for concurrent use: give each goroutine its
// own.
type Scorer struct {
	model   *Model
	engine  Engine
	why     string      // why onnxruntime runs a model under EngineAuto; "" otherwise
	native  *nativeEval // set when engine is EngineNative
	width   int
	batch   int
	outRank int
	sess    *ort.DynamicAdvancedSession
	full    *tensors // a BatchRows batch, made on first use
	part    *tensors // the last partial batch, kept for callers that repeat its size
	// rowMajor is ScoreColumns' matrix for onnxruntime, reused.
	rowMajor []float32
}

type tensors struct {
	rows int
	in   *ort.Tensor[float32]
	out  *ort.Tensor[float32]
}

func (t *tensors) destroy() error {
	if t == nil {
		return nil
	}
	return errors.Join(t.in.Destroy(), t.out.Destroy())
}

// NewScorer prepares m for scoring: it compiles a tree ensemble for the native evaluator, or
// opens an onnxruntime session, as opts.Engine says. onnxruntime needs InitRuntime to have
// succeeded first; the native evaluator does not. Forcing EngineNative on a model it cannot run is
// an error wrapping ErrNotNative that says why.
func NewScorer(m *Model, opts ScorerOptions) (*Scorer, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if m == nil || m.Proto == nil || len(m.Features) == 0 {
		return nil, errors.New("new scorer: want a model from Parse, Load or Registry.Get")
	}
	threads := opts.IntraOpThreads
	if threads == 0 {
		threads = runtime.NumCPU()
	}
	var why string
	if opts.Engine != EngineONNXRuntime {
		c, err := compileNative(m)
		switch {
		case err == nil:
			return &Scorer{model: m, engine: EngineNative, native: newNativeEval(c, threads), width: len(m.Features)}, nil
		case opts.Engine == EngineNative:
			return nil, fmt.Errorf("new scorer: engine %s: %w", EngineNative, err)
		}
		why = err.Error()
	}
	if !ort.IsInitialized() {
		return nil, fmt.Errorf("new scorer: %w: call models.InitRuntime first", ErrNoRuntime)
	}
	b := m.Bytes
	if b == nil {
		var err error
		if b, err = marshal(m.Proto); err != nil {
			return nil, fmt.Errorf("new scorer: %w", err)
		}
	}
	batch := opts.BatchRows
	if batch == 0 {
		batch = DefaultBatchRows
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("new scorer: session options: %w", err)
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(threads); err != nil {
		return nil, fmt.Errorf("new scorer: intra-op threads %d: %w", threads, err)
	}
	// One operator at a time: the graphs are small chains, and parallel branches would only
	// compete with the intra-op threads.
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("new scorer: inter-op threads: %w", err)
	}
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(b, []string{InputName}, []string{OutputName}, so)
	if err != nil {
		return nil, fmt.Errorf("new scorer: onnxruntime session: %w", err)
	}
	return &Scorer{
		model:   m,
		engine:  EngineONNXRuntime,
		why:     why,
		width:   len(m.Features),
		batch:   batch,
		outRank: len(m.Proto.GetGraph().GetOutput()[0].GetType().GetTensorType().GetShape().GetDim()),
		sess:    sess,
	}, nil
}

// Model returns the model the Scorer runs.
func (s *Scorer) Model() *Model { return s.model }

// Score computes the scores of rows rows of x (row-major, rows*len(Features) float32s, in the
// model's feature order; NaN is a missing value) into out (len rows), BatchRows rows per run.
func (s *Scorer) Score(x []float32, rows int, out []float32) error {
	if s.sess == nil && s.native == nil {
		return errors.New("score: scorer is closed")
	}
	if rows < 0 || len(x) != rows*s.width {
		return fmt.Errorf("score: %d values for %d rows of %d features: want %d", len(x), rows, s.width, rows*s.width)
	}
	if len(out) != rows {
		return fmt.Errorf("score: output holds %d scores: want %d", len(out), rows)
	}
	if s.native != nil {
		s.native.score(x, rows, out)
		return nil
	}
	for lo := 0; lo < rows; lo += s.batch {
		hi := min(lo+s.batch, rows)
		t, err := s.tensorsFor(hi - lo)
		if err != nil {
			return fmt.Errorf("score rows %d..%d: %w", lo, hi, err)
		}
		copy(t.in.GetData(), x[lo*s.width:hi*s.width])
		if err := s.sess.Run([]ort.Value{t.in}, []ort.Value{t.out}); err != nil {
			return fmt.Errorf("score rows %d..%d: %w", lo, hi, err)
		}
		copy(out[lo:hi], t.out.GetData())
	}
	return nil
}

// ScoreColumns is Score for a matrix given column by column: cols[f] holds feature f of every
// row (at least rows values; NaN is a missing value). The native evaluator reads the columns
// directly, each goroutine copying its own rows; onnxruntime gets them assembled by RowMajor.
func (s *Scorer) ScoreColumns(cols [][]float32, rows int, out []float32) error {
	if len(cols) != s.width {
		return fmt.Errorf("score columns: %d columns: want %d, one per feature", len(cols), s.width)
	}
	for f, c := range cols {
		if rows < 0 || len(c) < rows {
			return fmt.Errorf("score columns: column %d holds %d values for %d rows", f, len(c), rows)
		}
	}
	if len(out) != rows {
		return fmt.Errorf("score columns: output holds %d scores: want %d", len(out), rows)
	}
	if s.native != nil {
		s.native.scoreFrom(columns(cols), rows, out)
		return nil
	}
	s.rowMajor = RowMajor(cols, rows, s.rowMajor)
	return s.Score(s.rowMajor, rows, out)
}

// tensorsFor returns input and output tensors for n rows, reusing the full-batch pair or the last
// partial pair when their size fits.
func (s *Scorer) tensorsFor(n int) (*tensors, error) {
	if n == s.batch && s.full != nil {
		return s.full, nil
	}
	if s.part != nil && s.part.rows == n {
		return s.part, nil
	}
	in, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(n), int64(s.width)))
	if err != nil {
		return nil, fmt.Errorf("input tensor: %w", err)
	}
	outShape := ort.NewShape(int64(n), 1)
	if s.outRank == 1 {
		outShape = ort.NewShape(int64(n))
	}
	out, err := ort.NewEmptyTensor[float32](outShape)
	if err != nil {
		in.Destroy()
		return nil, fmt.Errorf("output tensor: %w", err)
	}
	t := &tensors{rows: n, in: in, out: out}
	if n == s.batch {
		s.full = t
		return t, nil
	}
	if err := s.part.destroy(); err != nil {
		t.destroy()
		return nil, err
	}
	s.part = t
	return t, nil
}

// Close releases the session and tensors. It is safe to call more than once.
func (s *Scorer) Close() error {
	s.native = nil
	if s.sess == nil {
		return nil
	}
	err := errors.Join(s.full.destroy(), s.part.destroy(), s.sess.Destroy())
	s.sess, s.full, s.part = nil, nil, nil
	if err != nil {
		return fmt.Errorf("close scorer: %w", err)
	}
	return nil
}
