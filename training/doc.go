// Package training fits the models riskmap scores with, evaluates them on held-out history and
// exports them as ONNX models that keep the model contract of package models.
//
// Three learners, all in Go, all deterministic for a seed whatever the thread count:
//
//   - GBDT: histogram gradient-boosted trees with binary log-loss, for the risk model.
//     Features are cut into at most 255 quantile bins (uint8 codes, row-major), one more code
//     holds missing values (NaN), and each split learns which side missing values take.
//     Each row's gradient and hessian are rounded to 32-bit fixed point (a resolution of 2^-30
//     of the largest possible) and histograms sum them in 64-bit integers, so histograms built
//     by any number of goroutines are exactly the same; the larger child of every split gets its
//     histogram by subtraction from its parent's.
//   - IForest: isolation forest (Liu, Ting and Zhou 2008) for the anomaly model.
//   - LogReg: L2-regularised logistic regression fitted by Newton's method, the simple baseline.
//
// Data flows in as a Dataset (a dense row-major float32 matrix, labels and, for time splits, a
// time per row), usually built by package features. TimeSplit cuts it at a time, never at random;
// the learners fit the past, Evaluate scores the future (ROC-AUC, PR-AUC, Brier, calibration and
// the share of serious findings caught by deep-scanning the top k% of assets), RulesBaseline gives
// the rule-of-thumb ranking every model card is compared with, and each model's ONNX method writes
// the bytes that package models parses and runs. The Go models and their ONNX exports give the
// same scores to float32 precision: trees compare float32 inputs with float32 thresholds exactly as
// onnxruntime does and sum leaves in float32 in tree order, and the tests check every exported
// graph against onnxruntime. Scoring in Go walks blocks of rows through flattened trees side by
// side, so the processor overlaps the rows' chains of loads.
//
// Random choices (bin sampling, row and feature subsampling, isolation trees) come from
// math/rand/v2 PCG sources seeded from the config's Seed and the round or tree number, never
// from shared state. Wrong lengths passed to Predict, Score, Evaluate or TimeSplit are
// programming errors and panic, as slices do; wrong data or settings are errors that wrap
// ErrDataset or ErrConfig and name the row, column or field.
//
// On top of the learners sits the training policy a workspace follows: BuildHistory labels
// feature rows at each point of its history (Points), Train fits, evaluates against the rules
// baseline on held-out rows and registers the model, promoting it only when it beats the
// current version on the same rows, and TrainBundled / EnsureModels give a new workspace the
// default models trained on a synthetic estate (ingest.Simulate).
package training
