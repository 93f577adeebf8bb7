package inventory

import (
	"net/netip"
	"strings"
)

// Sources are CIDRs, security group ids, service tags (Azure's Internet, VirtualNetwork,
// AzureLoadBalancer), "tag:NAME" and "serviceAccount:EMAIL" for GCP source tags and source
// service accounts, or "*"/"Any" for everything.

// nonPublic are the ranges Azure's Internet tag does not cover.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
}

// parsePrefix reads a CIDR or a bare address (taken as a single-address prefix).
func parsePrefix(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// canonicalSource writes CIDRs canonically and keeps every other source as given.
func canonicalSource(s string) string {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.String()
	}
	return s
}

func isUniversal(s string) bool { return s == "*" || strings.EqualFold(s, "any") }

// Azure's "*" is held as its two halves, srcInternet and srcPrivate, so that a Deny from
// Internet before an Allow from "*" leaves only the private half open. ruleSet.exposures
// writes the halves back as "*" where both are allowed.
const (
	srcInternet = "Internet"
	// srcPrivate is every source that is not the internet: private ranges, the virtual
	// network, Azure's load balancer probes, application security groups.
	srcPrivate = "Private"
)

func isPrivatePrefix(p netip.Prefix) bool {
	for _, np := range nonPublic {
		if np.Bits() <= p.Bits() && np.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// sourceContains reports whether every address that inner names is also named by outer. It
// answers false when it cannot tell (two different service tags, a CIDR and a group id), which
// callers treat as "no overlap".
func sourceContains(outer, inner string) bool {
	if strings.EqualFold(outer, inner) || isUniversal(outer) {
		return true
	}
	ip, innerIsPrefix := parsePrefix(inner)
	switch {
	case outer == "0.0.0.0/0":
		// Everything that is not IPv6: tags, groups and IPv4 ranges.
		return !innerIsPrefix || ip.Addr().Is4()
	case outer == "::/0":
		return innerIsPrefix && ip.Addr().Is6()
	case outer == srcPrivate:
		if innerIsPrefix {
			return isPrivatePrefix(ip)
		}
		return strings.EqualFold(inner, "VirtualNetwork") || strings.EqualFold(inner, "AzureLoadBalancer") ||
			strings.Contains(strings.ToLower(inner), "/applicationsecuritygroups/")
	case strings.EqualFold(outer, "Internet"):
		if !innerIsPrefix {
			return false
		}
		for _, np := range nonPublic {
			if np.Overlaps(ip) {
				return false
			}
		}
		return true
	}
	op, ok := parsePrefix(outer)
	if !ok || !innerIsPrefix || op.Addr().Is4() != ip.Addr().Is4() {
		return false
	}
	return op.Bits() <= ip.Bits() && op.Contains(ip.Addr())
}
