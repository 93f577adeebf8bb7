// Command riskmap is the CLI of riskmap: it tells you where to look first, how hard, and
// what changed. main only wires; each command group lives in its own file.
package main
