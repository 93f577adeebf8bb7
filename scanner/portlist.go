package scanner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PortList is a sorted list of unique ports in 1-65535. In JSON and YAML it is written the
// way nmap writes port lists ("21-23,25,80,443"), so a plan with a 1,000-port tier stays
// readable and editable, and "1-65535" stands for every port.
type PortList []int

// NewPortList sorts and de-duplicates ports, and refuses any outside 1-65535.
func NewPortList(ports ...[]int) (PortList, error) {
	var out PortList
	for _, ps := range ports {
		for _, p := range ps {
			if p < 1 || p > 65535 {
				return nil, fmt.Errorf("port %d: want 1-65535", p)
			}
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Validate checks that l is sorted, unique and inside 1-65535, as a PortList must be.
func (l PortList) Validate() error {
	for i, p := range l {
		if p < 1 || p > 65535 {
			return fmt.Errorf("port %d: want 1-65535", p)
		}
		if i > 0 && p <= l[i-1] {
			return fmt.Errorf("port %d after %d: want sorted, unique ports", p, l[i-1])
		}
	}
	return nil
}

// mergePorts is NewPortList for lists already known to be valid.
func mergePorts(ports ...[]int) PortList {
	var n int
	for _, ps := range ports {
		n += len(ps)
	}
	out := make(PortList, 0, n)
	for _, ps := range ports {
		out = append(out, ps...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// String writes l in nmap's syntax, with consecutive ports folded into ranges.
func (l PortList) String() string {
	var b strings.Builder
	for i := 0; i < len(l); {
		j := i
		for j+1 < len(l) && l[j+1] == l[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(l[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(l[j]))
		}
		i = j + 1
	}
	return b.String()
}

// MarshalText implements encoding.TextMarshaler.
func (l PortList) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *PortList) UnmarshalText(b []byte) error {
	v, err := ParsePortList(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// ParsePortList reads nmap's port syntax: comma-separated ports and inclusive ranges
// ("22,80,8000-8010"). Overlaps are merged; the empty string is the empty list.
func ParsePortList(s string) (PortList, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	type span struct{ lo, hi int }
	var spans []span
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi := part, part
		if a, b, ok := strings.Cut(part, "-"); ok {
			lo, hi = a, b
		}
		l, err := parsePort(lo)
		if err != nil {
			return nil, fmt.Errorf("port list item %d %q: %w", i+1, part, err)
		}
		h, err := parsePort(hi)
		if err != nil {
			return nil, fmt.Errorf("port list item %d %q: %w", i+1, part, err)
		}
		if h < l {
			return nil, fmt.Errorf("port list item %d %q: range end below its start", i+1, part)
		}
		spans = append(spans, span{l, h})
	}
	// Merge the spans before expanding, so that "1-65535" repeated a thousand times costs one
	// expansion, not a thousand.
	slices.SortFunc(spans, func(a, b span) int { return a.lo - b.lo })
	var out PortList
	next := 1
	for _, sp := range spans {
		for p := max(sp.lo, next); p <= sp.hi; p++ {
			out = append(out, p)
		}
		next = max(next, sp.hi+1)
	}
	return out, nil
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("%q is not a port number: want 1-65535", s)
	}
	if p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %d: want 1-65535", p)
	}
	return p, nil
}
