// Package features turns the workspace's tables into one row of model inputs per asset.
//
// The spec (Spec, Names, Version) is the truth about the features: their names, one-line
// docs, units and groups, in model input order. A model records the Version it was trained
// on; bump it whenever a feature changes.
//
// Build computes the rows as of a time. Data flows in three steps:
//
//  1. Joins: the scans table (scan start times), the inventory snapshot (for each provider
//     account, its latest snapshot at or before AsOf; the exposure and asset features come
//     from it alone), and the threat intelligence in effect (KEV entries added by AsOf,
//     the EPSS feed scored by AsOf).
//  2. Streaming: hosts, observations, findings and diffs are read in record batches, with
//     column projection and string columns as dictionaries, several files at once. Each
//     worker folds rows into its own compact per-asset state (counts, maxima, the small set
//     of ports an asset has shown); rows after AsOf are dropped, and files whose Parquet
//     footers prove that every row is later are never opened. Memory grows with the number
//     of assets, never with the number of observations.
//  3. Finishing: the workers' states are merged; neighbourhood shares (leave-one-out, so an
//     asset's own findings never reach its own feature) and sibling port sets are counted;
//     rows are emitted in record batches of the features table's schema.
//
// Files: spec.go (the features), builder.go (Build and its passes), snapshot.go and
// assetrows.go (the inventory), asset.go (exposure and asset features), threat.go (scans,
// KEV, EPSS), read.go and columns.go (parallel Parquet reading with dictionaries and
// memos), idindex.go (the asset id join), state.go and tables.go (per-asset state and the
// per-table folds), neighbours.go and finish.go (neighbourhood, siblings, rows), write.go,
// predicted.go, labels.go.
//
// WriteFeatures stores the rows of one as_of time as one file whose metadata carries the
// fingerprint of its inputs, so a rebuild with unchanged inputs is skipped and a rebuild
// with new inputs replaces the file atomically. PredictedPorts gives the scanner the ports
// worth probing on each asset; Labels gives training its labels: whether a scan in a window
// found a high or critical finding.
package features
