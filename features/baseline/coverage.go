package baseline

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ErrUnknownCoverage means the ports a scan covered cannot be known from what was given:
// nmap's default or --top-ports lists, service names and wildcards in -p depend on the
// nmap-services file of the machine that ran the scan. The scan's XML <scaninfo services>
// attribute has the resolved list; use ParseScanInfo on it instead.
var ErrUnknownCoverage = errors.New("port coverage unknown")

// PortRange is an inclusive range of ports of one protocol; Proto "" means every protocol
// the scan used (nmap's -p without a T:/U:/S: qualifier).
type PortRange struct {
	Proto    string // tcp, udp, sctp or ""
	From, To int
}

// Coverage is the set of ports a scan probed, kept sorted and merged (see Normalize). A nil
// Coverage means unknown.
type Coverage []PortRange

var protoPrefix = map[string]string{"T": "tcp", "U": "udp", "S": "sctp"}

// ParsePorts reads an nmap port specification as given to -p or written in the XML
// scaninfo services attribute: "22,80,1000-2000", "T:22,80,U:53" (a qualifier applies to the
// ports after it), "-" for every port, "-1024" and "60000-" for open-ended ranges. Service
// names, wildcards and [brackets] are refused with ErrUnknownCoverage.
func ParsePorts(spec string) (Coverage, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("port spec is empty, want ports such as 22,80,1000-2000")
	}
	var out Coverage
	proto := ""
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if len(item) >= 2 && item[1] == ':' {
			p, ok := protoPrefix[strings.ToUpper(item[:1])]
			if !ok {
				return nil, fmt.Errorf("port spec %q: qualifier %q: want T:, U: or S:", spec, item[:2])
			}
			proto, item = p, item[2:]
		}
		if item == "" {
			return nil, fmt.Errorf("port spec %q: empty item, want a port or a range", spec)
		}
		from, to, err := parseRange(item)
		if err != nil {
			return nil, fmt.Errorf("port spec %q: %w", spec, err)
		}
		out = append(out, PortRange{Proto: proto, From: from, To: to})
	}
	return out.Normalize(), nil
}

func parseRange(item string) (int, int, error) {
	if strings.ContainsAny(item, "*?[]") || (item[0] < '0' || item[0] > '9') && item[0] != '-' {
		return 0, 0, fmt.Errorf("%q: %w: service names, wildcards and brackets depend on nmap-services", item, ErrUnknownCoverage)
	}
	lo, hi, isRange := strings.Cut(item, "-")
	if !isRange {
		p, err := port(lo)
		return p, p, err
	}
	from, to := 1, 65535
	var err error
	if lo != "" {
		if from, err = port(lo); err != nil {
			return 0, 0, err
		}
	}
	if hi != "" {
		if to, err = port(hi); err != nil {
			return 0, 0, err
		}
	}
	if from > to {
		return 0, 0, fmt.Errorf("range %q: want the low port first", item)
	}
	return from, to, nil
}

func port(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 || p > 65535 {
		return 0, fmt.Errorf("port %q: want a number in 0-65535", s)
	}
	return p, nil
}

// ParseScanInfo reads one nmap XML <scaninfo protocol="tcp" services="..."/> element: the
// ports nmap actually probed, with top-ports and service names already resolved.
func ParseScanInfo(protocol, services string) (Coverage, error) {
	c, err := ParsePorts(services)
	if err != nil {
		return nil, err
	}
	proto := strings.ToLower(strings.TrimSpace(protocol))
	for i := range c {
		if c[i].Proto == "" {
			c[i].Proto = proto
		}
	}
	return c.Normalize(), nil
}

// CoverageFromArgs finds the -p option in an nmap command line (Scan.Args) and qualifies
// its unqualified ports with the protocols the scan types probe (-sU udp, -sY/-sZ sctp, any
// TCP scan type or none at all tcp). Without -p, or with --top-ports or -F, the ports came
// from nmap-services and the error is ErrUnknownCoverage.
func CoverageFromArgs(args string) (Coverage, error) {
	f := strings.Fields(args)
	spec := ""
	protos := map[string]bool{}
	typed := false
	for i := 0; i < len(f); i++ {
		a := f[i]
		if strings.HasPrefix(a, "-s") && len(a) == 3 {
			switch a[2] {
			case 'U':
				protos["udp"], typed = true, true
			case 'Y', 'Z':
				protos["sctp"], typed = true, true
			case 'S', 'T', 'A', 'W', 'M', 'N', 'F', 'X':
				protos["tcp"], typed = true, true
			}
		}
		switch {
		case a == "--top-ports" || strings.HasPrefix(a, "--top-ports=") || a == "-F" || a == "--port-ratio":
			return nil, fmt.Errorf("args use %s: %w", a, ErrUnknownCoverage)
		case a == "-p":
			if i+1 == len(f) {
				return nil, fmt.Errorf("args end with -p, want a port spec after it")
			}
			spec = f[i+1]
			i++
		case strings.HasPrefix(a, "-p") && len(a) > 2:
			spec = a[2:]
		}
	}
	if spec == "" {
		return nil, fmt.Errorf("args have no -p: %w", ErrUnknownCoverage)
	}
	c, err := ParsePorts(spec)
	if err != nil {
		return nil, err
	}
	if !typed {
		protos["tcp"] = true
	}
	var out Coverage
	for _, r := range c {
		if r.Proto != "" {
			out = append(out, r)
			continue
		}
		for p := range protos {
			out = append(out, PortRange{Proto: p, From: r.From, To: r.To})
		}
	}
	return out.Normalize(), nil
}

// Normalize returns c sorted by protocol and port with overlapping or adjacent ranges of a
// protocol merged, so that equal sets compare equal.
func (c Coverage) Normalize() Coverage {
	if c == nil {
		return nil
	}
	rs := append(Coverage(nil), c...)
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Proto != rs[j].Proto {
			return rs[i].Proto < rs[j].Proto
		}
		return rs[i].From < rs[j].From
	})
	out := Coverage{}
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1].Proto == r.Proto && r.From <= out[n-1].To+1 {
			if r.To > out[n-1].To {
				out[n-1].To = r.To
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// Covers reports whether c probed proto/port. A nil Coverage (unknown) covers everything.
func (c Coverage) Covers(proto string, p int) bool {
	if c == nil {
		return true
	}
	for _, r := range c {
		if (r.Proto == "" || r.Proto == proto) && r.From <= p && p <= r.To {
			return true
		}
	}
	return false
}

// Contains reports whether c probed every port o probed. An unqualified range of o is only
// contained by unqualified ranges of c. Nil (unknown) contains nothing and is contained by
// nothing, so that an unknown coverage never passes for a known one.
func (c Coverage) Contains(o Coverage) bool {
	if c == nil || o == nil {
		return false
	}
	for _, r := range o.Normalize() {
		var have Coverage
		for _, h := range c {
			if h.Proto == r.Proto || h.Proto == "" {
				have = append(have, h)
			}
		}
		sort.Slice(have, func(i, j int) bool { return have[i].From < have[j].From })
		need := r.From
		for _, h := range have {
			if h.From > need {
				break
			}
			if h.To+1 > need {
				need = h.To + 1
			}
		}
		if need <= r.To {
			return false
		}
	}
	return true
}

// String writes c in nmap's -p syntax ("T:22,80,U:53"), which ParsePorts reads back.
func (c Coverage) String() string {
	var b strings.Builder
	proto := "\x00"
	for i, r := range c.Normalize() {
		if i > 0 {
			b.WriteByte(',')
		}
		if r.Proto != proto {
			for q, p := range protoPrefix {
				if p == r.Proto {
					b.WriteString(q + ":")
				}
			}
			proto = r.Proto
		}
		if r.From == r.To {
			b.WriteString(strconv.Itoa(r.From))
		} else {
			fmt.Fprintf(&b, "%d-%d", r.From, r.To)
		}
	}
	return b.String()
}
