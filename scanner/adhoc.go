package scanner

import "net/netip"

// AdHocPrefix starts the plan identity of an address scanned because someone named it
// (`riskmap scan --targets`, a confirmation rescan) rather than because the planner chose an
// inventory asset: "ip:127.0.0.1". A plan needs one identity per item; the scan's hosts and
// ports are still joined to inventory assets by address when they are recorded.
const AdHocPrefix = "ip:"

// AdHocID returns the stable plan identity of ad-hoc target a, in canonical form (an
// IPv4-mapped IPv6 address is its IPv4 address), so that the same address always gets the
// same identity.
func AdHocID(a netip.Addr) string { return AdHocPrefix + a.Unmap().String() }
