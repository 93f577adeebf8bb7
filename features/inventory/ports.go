package inventory

import (
	"sort"
	"strconv"
	"strings"

	"github.com/riskmap/riskmap"
)

const (
	maxPort = 65535
	// maxExpanded bounds InternetExposedPorts: an exposure wider than this many ports is
	// not expanded, and an asset's list keeps at most this many (the lowest) ports.
	maxExpanded = 1024
)

// Protocol buckets. Rules for every protocol are held as the four buckets tcp, udp, icmp and
// other (every protocol but those three), so that a deny for one protocol can carve it out of
// an allow for all of them. A rule for a named protocol (esp, sctp, 47) is its own bucket.
const (
	protoAll   = "all"
	protoTCP   = "tcp"
	protoUDP   = "udp"
	protoICMP  = "icmp"
	protoOther = "other"
)

var allBuckets = []string{protoTCP, protoUDP, protoICMP, protoOther}

// buckets returns the buckets a rule for proto fills.
func buckets(proto string) []string {
	if proto == protoAll {
		return allBuckets
	}
	return []string{proto}
}

func isBaseProto(p string) bool { return p == protoTCP || p == protoUDP || p == protoICMP }

// hasPorts reports whether proto has ports; others are held as the full range.
func hasPorts(p string) bool { return p == protoTCP || p == protoUDP }

// span is an inclusive port range.
type span struct{ lo, hi int }

// spans is a set of ports: sorted, disjoint and not adjacent.
type spans []span

func fullSpans() spans { return spans{{0, maxPort}} }

func (s spans) full() bool { return len(s) == 1 && s[0].lo <= 0 && s[0].hi >= maxPort }

func (s spans) union(t spans) spans {
	all := append(append(make(spans, 0, len(s)+len(t)), s...), t...)
	sort.Slice(all, func(i, j int) bool { return all[i].lo < all[j].lo })
	var out spans
	for _, x := range all {
		if n := len(out); n > 0 && x.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	return out
}

func (s spans) minus(t spans) spans {
	var out spans
	for _, x := range s {
		lo := x.lo
		for _, y := range t {
			if y.hi < lo || y.lo > x.hi {
				continue
			}
			if y.lo > lo {
				out = append(out, span{lo, y.lo - 1})
			}
			lo = y.hi + 1
			if lo > x.hi {
				break
			}
		}
		if lo <= x.hi {
			out = append(out, span{lo, x.hi})
		}
	}
	return out
}

func (s spans) intersect(t spans) spans {
	var out spans
	for _, x := range s {
		for _, y := range t {
			lo, hi := max(x.lo, y.lo), min(x.hi, y.hi)
			if lo <= hi {
				out = append(out, span{lo, hi})
			}
		}
	}
	return spans{}.union(out)
}

// parsePortRange reads "*", "22" or "8000-8100" (the spellings Azure, GCP and our CSV use).
func parsePortRange(s string) (span, bool) {
	s = strings.TrimSpace(s)
	if s == "*" || strings.EqualFold(s, "any") {
		return span{0, maxPort}, true
	}
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := strconv.Atoi(strings.TrimSpace(lo))
	if err != nil || a < 0 || a > maxPort {
		return span{}, false
	}
	if !isRange {
		return span{a, a}, true
	}
	b, err := strconv.Atoi(strings.TrimSpace(hi))
	if err != nil || b < a || b > maxPort {
		return span{}, false
	}
	return span{a, b}, true
}

// flow keys a ruleSet: one protocol bucket from one source.
type flow struct{ proto, source string }

// ruleSet is allowed ingress: for each protocol bucket and source, the ports allowed.
type ruleSet map[flow]spans

func (r ruleSet) add(proto, source string, ports spans) {
	for _, b := range buckets(proto) {
		p := ports
		if !hasPorts(b) {
			p = fullSpans()
		}
		f := flow{b, source}
		r[f] = r[f].union(p)
	}
}

func (r ruleSet) merge(o ruleSet) {
	for f, p := range o {
		r[f] = r[f].union(p)
	}
}

// orderedRule is one entry of a first-match-wins rule list (Azure NSG, GCP firewall).
type orderedRule struct {
	allow   bool
	proto   string // tcp, udp, icmp, all or a named protocol
	ports   spans
	sources []string
}

// evalOrdered applies rules in order, the first rule that matches a packet deciding it, and
// returns what is allowed. Only denies need tracking: a port that an earlier allow already
// opened to a wider source is open to the narrower one as well. An earlier deny hides a later
// allow only where its protocol and ports overlap and its source contains the allow's source
// (sourceContains); a deny from a narrower source leaves the allow in place, so the result
// may over-state exposure but never hides it.
func evalOrdered(rules []orderedRule) ruleSet {
	type denied struct {
		flow
		ports spans
	}
	var denies []denied
	out := ruleSet{}
	for _, r := range rules {
		for _, b := range buckets(r.proto) {
			ports := r.ports
			if !hasPorts(b) {
				// A rule for every protocol that names ports matches only what has ports.
				if r.proto == protoAll && !ports.full() {
					continue
				}
				ports = fullSpans()
			}
			for _, src := range r.sources {
				if !r.allow {
					denies = append(denies, denied{flow{b, src}, ports})
					continue
				}
				left := ports
				for _, d := range denies {
					if len(left) == 0 {
						break
					}
					if protoCovers(d.proto, b) && sourceContains(d.source, src) {
						left = left.minus(d.ports)
					}
				}
				if len(left) > 0 {
					out.add(b, src, left)
				}
			}
		}
	}
	return out
}

// protoCovers reports whether a rule for bucket outer matches packets of bucket inner.
func protoCovers(outer, inner string) bool {
	return outer == inner || (outer == protoOther && !isBaseProto(inner))
}

// intersect returns what both a and b allow (Azure: a packet must pass the subnet's and the
// NIC's NSG). Sources meet when one contains the other; otherwise they are taken as disjoint.
func intersect(a, b ruleSet) ruleSet {
	out := ruleSet{}
	for fa, pa := range a {
		for fb, pb := range b {
			var proto string
			switch {
			case protoCovers(fa.proto, fb.proto):
				proto = fb.proto
			case protoCovers(fb.proto, fa.proto):
				proto = fa.proto
			default:
				continue
			}
			var src string
			switch {
			case sourceContains(fa.source, fb.source):
				src = fb.source
			case sourceContains(fb.source, fa.source):
				src = fa.source
			default:
				continue
			}
			if p := pa.intersect(pb); len(p) > 0 {
				f := flow{proto, src}
				out[f] = out[f].union(p)
			}
		}
	}
	return out
}

// exposures lists r as Exposures sorted by protocol, ports and source. A source allowed every
// port of tcp, udp, icmp and other becomes one Exposure with Proto "all".
func (r ruleSet) exposures() []riskmap.Exposure {
	r = r.joinHalves()
	bySource := map[string]bool{}
	for f := range r {
		bySource[f.source] = true
	}
	var out []riskmap.Exposure
	for src := range bySource {
		everything := true
		for _, b := range allBuckets {
			if !r[flow{b, src}].full() {
				everything = false
				break
			}
		}
		if everything {
			out = append(out, riskmap.Exposure{Proto: protoAll, FromPort: 0, ToPort: maxPort, Source: src})
		}
		for f, ports := range r {
			if f.source != src || everything {
				continue
			}
			for _, s := range ports {
				out = append(out, riskmap.Exposure{Proto: f.proto, FromPort: s.lo, ToPort: s.hi, Source: src})
			}
		}
	}
	sortExposures(out)
	return out
}

// joinHalves returns a copy of r in which ports allowed from both srcInternet and
// srcPrivate are allowed from "*" instead.
func (r ruleSet) joinHalves() ruleSet {
	out := make(ruleSet, len(r))
	for f, p := range r {
		out[f] = p
	}
	for f, pi := range r {
		if f.source != srcInternet {
			continue
		}
		priv := flow{f.proto, srcPrivate}
		both := pi.intersect(r[priv])
		if len(both) == 0 {
			continue
		}
		out[flow{f.proto, "*"}] = out[flow{f.proto, "*"}].union(both)
		for _, g := range []flow{f, priv} {
			if rest := out[g].minus(both); len(rest) > 0 {
				out[g] = rest
			} else {
				delete(out, g)
			}
		}
	}
	return out
}

func sortExposures(e []riskmap.Exposure) {
	sort.Slice(e, func(i, j int) bool {
		a, b := e[i], e[j]
		if a.Proto != b.Proto {
			return a.Proto < b.Proto
		}
		if a.FromPort != b.FromPort {
			return a.FromPort < b.FromPort
		}
		if a.ToPort != b.ToPort {
			return a.ToPort < b.ToPort
		}
		return a.Source < b.Source
	})
}

// internetPorts returns the TCP and UDP ports that exposed opens to the internet, sorted and
// unique. Exposures wider than maxExpanded ports are left out (Exposed keeps them); the list
// keeps the lowest maxExpanded ports and cut reports whether more were dropped.
func internetPorts(exposed []riskmap.Exposure) (ports []int, cut bool) {
	seen := map[int]bool{}
	for _, e := range exposed {
		if !hasPorts(e.Proto) || !e.Internet() || e.ToPort-e.FromPort+1 > maxExpanded {
			continue
		}
		for p := max(e.FromPort, 0); p <= min(e.ToPort, maxPort); p++ {
			seen[p] = true
		}
	}
	for p := range seen {
		ports = append(ports, p)
	}
	sort.Ints(ports)
	if len(ports) > maxExpanded {
		return ports[:maxExpanded], true
	}
	return ports, false
}
