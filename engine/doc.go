// Package engine wires riskmap's packages into the jobs users run: ingesting scans and
// inventory into the workspace, and the loop (inventory -> features -> scores -> plan -> scan
// -> observations, findings, diffs -> retrain).
//
// It is the only package that imports all the others. Each job takes a context first, a
// workspace writer where it writes, and returns what it did as data for the CLI to print.
package engine
