// Package report renders a workspace as one self-contained HTML file: inline SVG charts, no
// script and no fetches, so it can be mailed or archived as it is.
//
// WriteReport reads the tables (scores, assets, findings, diffs, alerts, cycles), the model
// registry's cards and, when a run that knows the ground truth left one, comparison.json, and
// draws the risk distribution; the topology map (topology.go: internet, VPC, subnet, security
// group, asset as an SVG graph, internet-exposed edges and serious findings highlighted,
// quiet assets summarised beyond TopologyLimit); the findings to act on (findings.go: one per
// asset, port and rule, with its status, evidence, first and last seen, and the rule to change
// in the asset's cloud); the top assets with names, addresses, tags and reasons in words;
// coverage against probes (riskmap's curve over its cycles, and the sweeps of a comparison);
// the cycles over time; the changes against baselines with when each was first seen; model
// metrics over versions and exposure by network and group.
package report
