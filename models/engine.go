package models

import "fmt"

// Engine names what runs a model's arithmetic.
type Engine string

const (
	// EngineAuto picks EngineNative for the tree ensembles the native evaluator compiles and
	// EngineONNXRuntime for everything else.
	EngineAuto Engine = ""
	// EngineNative is riskmap's own evaluator of TreeEnsembleRegressor and TreeEnsembleClassifier
	// graphs, compiled from the ONNX attributes when the Scorer is made.
	EngineNative Engine = "native"
	// EngineONNXRuntime runs the model through an onnxruntime session: the reference.
	EngineONNXRuntime Engine = "onnxruntime"
)

// ParseEngine reads an engine name: "auto" or "" (EngineAuto), "native" or "onnxruntime".
func ParseEngine(s string) (Engine, error) {
	switch s {
	case "", "auto":
		return EngineAuto, nil
	case string(EngineNative), string(EngineONNXRuntime):
		return Engine(s), nil
	}
	return "", fmt.Errorf("engine %q: want auto, %s or %s", s, EngineNative, EngineONNXRuntime)
}

// Engine is the engine the Scorer runs: EngineNative or EngineONNXRuntime, never EngineAuto.
func (s *Scorer) Engine() Engine { return s.engine }

// EngineNote says why the Scorer runs onnxruntime when it was free to choose (the obstacle to
// the native evaluator); it is "" when the native evaluator runs or onnxruntime was forced.
func (s *Scorer) EngineNote() string { return s.why }
