// Package ingest writes what riskmap learns into the workspace: nmap XML, cloud inventory
// exports and threat-intelligence feeds, and the history of a simulated estate.
//
// Data flows through an Ingester like this:
//
//	nmap XML -> raw/nmap/<scan_id>.xml (kept before parsing) -> features/nmapxml.Parse
//	         -> hosts and ports joined to assets by address at scan time (the IP -> asset index)
//	         -> findings (features/findings rules, with KEV and EPSS) and diffs against each
//	            host's baseline (features/baseline)
//	         -> hosts, observations, findings, diffs tables, then the scans row last: the
//	            scans row is the commit mark, and Recover finishes any ingest a crash cut short
//	inventory files of one provider -> features/inventory -> one assets snapshot
//	KEV / EPSS feeds -> the kev and epss tables
//
// An Ingester caches what it has read of the workspace (the ingested scan ids, the IP index,
// the scan history, the intel), so one Ingester serves many inputs; it is not safe for
// concurrent use. Table schemas and codecs are package datasets'.
package ingest
