// Package intel reads threat intelligence and ties it to what nmap saw.
//
// Two feeds come in:
//
//   - the CISA Known Exploited Vulnerabilities catalog (ReadKEV), as the JSON feed in every
//     shape it has had since November 2021 (the first catalogs lack notes,
//     knownRansomwareCampaignUse and cwes; some copies have CRLF line ends; some are
//     indented, some on one line) or as the official CSV, whose columns are found by header
//     name because older files have fewer of them;
//   - FIRST EPSS daily scores (ReadEPSS), plain or gzip, with the leading
//     #model_version/score_date comment recorded.
//
// Both are returned as plain slices and maps (KEV.Entries, EPSS.Scores) so that the caller can
// store them in workspace tables and build them back with composite literals. Errors are
// *ParseError values that name the file, the line and the field, and say what was expected;
// ErrFormat marks input that is not a feed at all.
//
// Matching: an observed port carries nmap's CPEs (2.2 URIs, or 2.3 strings from other tools;
// ParseCPE reads both) and product/version fields. KEV.Match normalises vendor and product
// names (case, underscores, spaces) and maps the few products whose names differ between
// CPE, KEV and nmap through a small alias table (alias.go). KEV entries have no versions, so
// a match is "vendor+product" unless a small table of affected releases for a handful of KEV
// CVEs (affected.go) places the observed version inside a vulnerable range, which makes it
// "vendor+product+version"; a version that the table places outside every range drops the
// match. EPSS is never baked into anything here: EPSS.Lookup is handed to the findings rules
// at evaluation time, so that scores join with the latest feed.
//
//	KEV JSON/CSV --ReadKEV--> *KEV --Match(cpes, product, version)--> []Match --> findings
//	EPSS CSV(.gz) --ReadEPSS--> *EPSS --Lookup--> findings (at evaluation time)
package intel
