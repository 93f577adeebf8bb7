// Package demo runs riskmap end to end on a synthetic estate: it generates the estate
// (datasets/estate), serves it on loopback addresses inside a private network namespace
// (datasets/lab), writes its inventory, runs cycles of the loop (engine) against it with real
// nmap, compares what was found with the ground truth and with uniform sweeps, and writes the
// report (report). `riskmap demo` and `make demo` call Demo.
package demo
