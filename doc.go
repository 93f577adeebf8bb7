// Package riskmap holds the domain types every riskmap package shares: assets from cloud
// inventory, scans and observations from nmap, findings, scores, tiers and targets.
//
// It does no I/O. Data flows one way through the packages below it:
//
//	features/inventory, features/nmapxml  -> Asset, Scan, Host, Observation
//	datasets                              -> stores them as Arrow tables in Parquet
//	features, features/findings           -> feature rows, Finding (the labels), Diff
//	models, training                      -> Score
//	scanner                               -> Plan, Target, and back to Scan
package riskmap
