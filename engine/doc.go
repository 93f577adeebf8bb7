// Package engine is riskmap's loop: inventory -> features -> scores -> plan -> scan ->
// observations, findings and diffs -> confirmation -> alerts -> retrain, one cycle at a time
// (Loop.Cycle) or on a schedule.
//
// It wires the packages below it and decides only what belongs to the loop: the workspace
// configuration (riskmap.yaml), which findings are new and confirmed, what is alerted and
// how alerts are delivered, and when to retrain. Ingest is package ingest's, scoring package
// models', planning and running nmap package scanner's. Each job takes a context first and
// returns what it did as data for the CLI to print.
package engine
