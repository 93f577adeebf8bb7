// Package report renders a workspace as one self-contained HTML file: inline SVG charts, no
// script and no fetches, so it can be mailed or archived as it is.
//
// WriteReport reads the tables (scores, assets, findings, diffs, alerts, cycles), the model
// registry's cards and, when a run that knows the ground truth left one, comparison.json, and
// draws the risk distribution, the top assets with their reasons, coverage against probes,
// the cycles over time, model metrics over versions and exposure by network and group.
package report
