// Package nmapxml imports nmap's XML output (-oX) into riskmap's domain types: one
// riskmap.Scan per file, a riskmap.Host per scanned address and a riskmap.Observation per
// port of every host that was not down.
//
// It reads what every nmap from 2.x to 7.9x writes (and masscan's nmap-style XML): service
// and version detection with CPEs, OS detection (the best osmatch), NSE script output in
// the old flat output attribute and the newer <elem>/<table> form, host scripts, UDP,
// IPv4 and IPv6 (in net/netip's canonical form; MAC addresses are not IPs), down hosts,
// <hosthint> (not a host), <extraports> counts, ISO-8859-1, windows-1252 and UTF-16 files.
//
// Data flow: Parse takes the whole file as bytes (the caller has it, to keep it under
// raw/nmap/<scan_id>.xml) and runs a hand-written scanner specialised for nmap XML over
// it: no token is copied until the parser keeps it, short repeated values are interned,
// and every kept value is bounded (Options.MaxAttrBytes, Options.MaxScriptBytes), so a
// hostile file costs no more memory than the file itself plus the limits. It is several
// times faster than encoding/xml and than Python's ElementTree; see BenchmarkParse.
//
// Interrupted scans are common (a killed nmap, a full disk): every host whose </host> was
// reached is kept, the partial one is dropped, Scan.Complete is false and a warning names
// the file and line where the document stopped. What cannot be nmap XML is refused with a
// *ParseError: not XML or another root element (ErrNotNmap), broken before the first
// complete host (ErrMalformed), or a DOCTYPE with an internal subset (ErrEntity: no DTD is
// ever read, no entity ever expanded). What nmap itself wrote is accepted: the bare
// <!DOCTYPE nmaprun> and, from nmap 5.x and 6.x, <!DOCTYPE nmaprun PUBLIC "..." "...">,
// whose identifiers are read and ignored, never fetched.
//
// Split cuts a scan too large to hold (millions of hosts) into standalone parts of a chosen
// size, each an nmap XML document of its own with the original's prolog and trailer, read
// from the file a window at a time; `riskmap ingest nmap` ingests each part as a scan.
//
// A host whose address is not an IP (sanitised files write "IP", "x.x.x.x" or a name) keeps
// its ports under a placeholder identity, "noip:<n>:<address>" (see Placeholder), which is no
// address and so never a scan target.
//
// WriteSynthetic writes large realistic scans for benchmarks and tests elsewhere.
package nmapxml
