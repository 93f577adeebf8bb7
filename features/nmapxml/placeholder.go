package nmapxml

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/riskmap/riskmap"
)

// PlaceholderPrefix starts the identity that Parse gives a host whose address is not an IP
// (sanitised files write "IP", "x.x.x.x" or a host name in addr). Such a host keeps its
// ports and findings under Host.IP = Observation.IP = "noip:<n>:<address>", where n counts
// those hosts in file order from 1 and <address> is the file's value with every byte
// outside [A-Za-z0-9.-_] made '_' and cut to 64 bytes: the same file always gives the same
// identities. It is not an address: netip.ParseAddr refuses it, and so does every path that
// turns addresses into scan targets.
const PlaceholderPrefix = "noip:"

// Placeholder returns the placeholder identity of the n-th (from 1) host of a file whose
// address, addr, is not an IP.
// An addr that is already a placeholder is kept as it is, so that a result written back
// as XML and read again keeps its identities.
func Placeholder(n int, addr string) string {
	if isPlaceholderForm(addr) {
		return addr
	}
	var b strings.Builder
	b.WriteString(PlaceholderPrefix)
	b.WriteString(strconv.Itoa(n))
	b.WriteByte(':')
	for i := 0; i < len(addr) && i < 64; i++ {
		c := addr[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// IsPlaceholder reports whether ip is a placeholder identity rather than an address.
func IsPlaceholder(ip string) bool { return strings.HasPrefix(ip, PlaceholderPrefix) }

// dedupeHost keeps one observation per protocol and port among the observations of the host
// being committed (res.Observations[start:]), which listed a port more than once. nmap never
// does; a hand-edited or concatenated file can. Which one is kept, and why, is a warning
// per repeat: the one with the more telling state (open, then open|filtered, filtered,
// closed), else the one with more service detail, else the first.
func (p *parser) dedupeHost(ip string, start int) {
	obs := p.res.Observations[start:]
	offs := p.portOffs
	if len(offs) != len(obs) { // cannot happen: every appended port records its offset
		offs = make([]int, len(obs))
	}
	at := make(map[portKey]int, len(obs))
	keptOff := make([]int, 0, len(obs))
	out := obs[:0]
	for i := range obs {
		o := obs[i]
		k := portKey{o.Proto, o.Port}
		j, dup := at[k]
		if !dup {
			at[k] = len(out)
			out = append(out, o)
			keptOff = append(keptOff, offs[i])
			continue
		}
		later, why := outranks(&o, &out[j])
		prevOff := keptOff[j]
		if later {
			out[j], keptOff[j] = o, offs[i]
		}
		if len(p.res.Warnings) >= MaxWarnings { // counting lines costs: only for a warning kept
			p.suppressed++
			continue
		}
		first, second := p.line(prevOff), p.line(offs[i])
		kept := first
		if later {
			kept = second
		}
		p.warn(offs[i], "host %s lists %d/%s twice (lines %d and %d); kept the one on line %d: %s",
			ip, o.Port, o.Proto, first, second, kept, why)
	}
	p.res.Observations = p.res.Observations[:start+len(out)]
}

// outranks reports whether the repeat b should replace the kept a, and why either way.
func outranks(b, a *riskmap.Observation) (bool, string) {
	ra, rb := stateRank(a.State), stateRank(b.State)
	switch {
	case rb > ra:
		return true, fmt.Sprintf("its state %q says more than %q", b.State, a.State)
	case ra > rb:
		return false, fmt.Sprintf("its state %q says more than %q", a.State, b.State)
	}
	da, db := detail(a), detail(b)
	switch {
	case db > da:
		return true, "same state, more service detail"
	case da > db:
		return false, "same state, more service detail"
	}
	return false, "both say the same as far as riskmap reads them, so the first is kept"
}

// stateRank orders port states by what they tell: open is evidence of a service.
func stateRank(s string) int {
	switch s {
	case "open":
		return 4
	case "open|filtered":
		return 3
	case "filtered", "closed|filtered":
		return 2
	case "closed", "unfiltered":
		return 1
	}
	return 0
}

// detail counts the service facts an observation carries.
func detail(o *riskmap.Observation) int {
	n := len(o.CPEs) + len(o.Scripts)
	for _, s := range []string{o.Service, o.Product, o.Version, o.ExtraInfo, o.Tunnel} {
		if s != "" {
			n++
		}
	}
	return n
}

// isPlaceholderForm reports whether s is exactly what Placeholder writes.
func isPlaceholderForm(s string) bool {
	rest, ok := strings.CutPrefix(s, PlaceholderPrefix)
	if !ok {
		return false
	}
	num, name, ok := strings.Cut(rest, ":")
	if !ok || num == "" || len(name) > 64 {
		return false
	}
	if _, err := strconv.Atoi(num); err != nil || num[0] == '0' || num[0] == '+' || num[0] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
