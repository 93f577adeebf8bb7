// Command results turns `go test -bench` output (several -count runs) into bench/results.md:
// machine information, then one table per benchmark with the median, min and max of every
// metric it reported. The machine is noisy, so medians and ratios are what to read.
package main
