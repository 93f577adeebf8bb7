// Package models runs the ONNX models that score assets, and keeps them honest.
//
// Data flows through it like this:
//
//	model.onnx bytes -> Parse (the model contract) -> *Model
//	*Model -> NewScorer (one onnxruntime session) -> Score(feature rows) -> scores
//	*Model + Scorer + a row -> Contributions (Saabas paths for tree ensembles, perturbation otherwise)
//	                        -> TopReasons, the "why" shown next to a score
//	training output -> Registry.Register -> models/<name>/<version>/{model.onnx,card.json}
//	                -> Registry.Promote (only when better on the same held-out data) -> CURRENT
//	workspace + registry -> Score (features.Build batches through the scorers) -> Scored
//	                     -> WriteScores -> the scores table
//
// The contract (DESIGN.md): one input "features" float32 [N, F], one output "score" float32 [N, 1]
// or [N], metadata riskmap.kind, riskmap.features (JSON list, the input's column order) and
// riskmap.feature_version, IR version 8, opsets ai.onnx 17 and ai.onnx.ml 3. Parse refuses anything
// else with a *ContractError that names the field; Stamp fits sklearn and PyTorch exports to it.
//
// The onnxruntime shared library is found by SharedLibraryPath and initialised once per process by
// InitRuntime, which the caller (the CLI, a test's TestMain) calls; nothing here runs in init().
package models
