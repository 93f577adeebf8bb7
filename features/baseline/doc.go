// Package baseline says what changed between two scans, the way ndiff does.
//
// A Snapshot is one scan as riskmap stores it (the Scan, its Hosts, its Observations) plus
// the ports the scan probed (Coverage, from nmap's <scaninfo services> via ParseScanInfo, or
// from the command line via CoverageFromArgs; nil when unknown). Diff compares a current
// snapshot with its baseline host by host and returns riskmap.Diff rows for the diffs table:
//
//	baseline Snapshot ─┐
//	                   ├─ Diff ─> []riskmap.Diff (new_port, closed_port, port_state_changed,
//	current Snapshot  ─┘          service_changed, version_changed, cpe_changed, new_host,
//	                              host_gone, host_state_changed, os_changed)
//
// Which baseline: AutoBaseline picks, per asset, the most recent complete scan that started
// before the current one and probed at least the ports the current one probed. Its inputs
// are Candidates (a Scan and its Coverage) from the scans that included the asset; a
// candidate whose coverage is unknown qualifies only for a current scan of unknown coverage
// and the same profile. Diff then compares only ports both scans probed.
//
// Parity with ndiff. A port is present when the scan lists it; a port listed on one side and
// unlisted (or in a "Not shown" state) on the other is new or closed; a port listed on both
// sides with another state is port_state_changed (open to closed, open to filtered); hosts
// are new, gone, or changed state. The tests run Debian's ndiff on pairs of nmap XML files,
// hand-made and from a real rescan, and check that the set of changes agrees. Deliberate
// differences, each shown by a test:
//
//   - More than ndiff: cpe_changed when only the CPE set of a port changed (ndiff ignores
//     CPEs; a new CPE changes which KEV entries match), and service_changed when only the
//     TLS tunnel changed (ndiff leaves the tunnel out of its comparison; TLS added or removed
//     in front of a service matters).
//   - Less than ndiff: script output changes (dates, banners and counters churn on every
//     scan; findings read scripts instead); "Not shown" count changes; ports of a host that
//     is down in either scan (ndiff lists every port of a host that went down as removed;
//     riskmap says host_state_changed once); OS changes when either scan lacks OS detection,
//     and changes below the best OS match (riskmap keeps the best match only).
//   - Hosts are matched by IP, not by IP and host name as ndiff does, so a host whose
//     reverse name changed is the same host; an IP that moved to another asset is a
//     host_gone and a new_host.
//
// Debian's ndiff 7.93 crashes (Python 3 TypeError while sorting script results) on a port or
// host with two or more scripts; riskmap does not, and the parity fixtures keep to one script
// per port.
package baseline
