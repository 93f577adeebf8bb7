// Package riskmap holds the domain types every riskmap package shares: assets from cloud
// inventory, scans and observations from nmap, findings, scores, tiers and targets.
//
// It does no I/O. Data flows one way through the packages below it:
//
//	features/inventory, features/nmapxml  -> Asset, Scan, Host, Observation
//	datasets                              -> stores them as Arrow tables in Parquet
//	ingest, features/findings             -> Finding (the labels), Diff
//	features                              -> feature rows
//	models, training                      -> Score
//	scanner                               -> Plan, Target, and back to Scan
//	engine                                -> Alert
//
// docs/ARCHITECTURE.md draws the whole map: the loop, the packages and who may import whom,
// the tables and their owners.
package riskmap
