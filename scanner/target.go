package scanner

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// TargetKind says how a target spec was written.
type TargetKind uint8

// Target kinds.
const (
	TargetAddr   TargetKind = iota + 1 // one address: 10.0.0.5, fd00::5
	TargetPrefix                       // a CIDR: 10.0.0.0/24
	TargetRange                        // nmap's last-octet range: 10.0.0.1-20
	TargetName                         // a host name, resolved by riskmap, never by nmap
)

func (k TargetKind) String() string {
	switch k {
	case TargetAddr:
		return "address"
	case TargetPrefix:
		return "cidr"
	case TargetRange:
		return "range"
	case TargetName:
		return "name"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// TargetSpec is one parsed target. Raw is the spec as written (trimmed); the other fields
// depend on Kind: Prefix for TargetAddr (a single-address prefix) and TargetPrefix, From and
// To (inclusive) for TargetRange, Name (lower case, no trailing dot) for TargetName.
type TargetSpec struct {
	Raw    string
	Kind   TargetKind
	Prefix netip.Prefix
	From   netip.Addr
	To     netip.Addr
	Name   string
}

// TargetError is a spec that does not parse, with its position in the input list.
type TargetError struct {
	Index int // 0-based position in the list given to ParseTargets
	Spec  string
	Err   error
}

func (e *TargetError) Error() string {
	return fmt.Sprintf("target %d %q: %v", e.Index, e.Spec, e.Err)
}

func (e *TargetError) Unwrap() error { return e.Err }

// ParseTargets parses target specs: IPv4 or IPv6 addresses, CIDRs, a.b.c.d-e ranges and host
// names. Blank entries are errors, so that a stray comma in a config file is not silently
// ignored. Errors are *TargetError and wrap ErrBadTarget.
func ParseTargets(specs []string) ([]TargetSpec, error) {
	out := make([]TargetSpec, 0, len(specs))
	for i, s := range specs {
		t, err := ParseTarget(s)
		if err != nil {
			return nil, &TargetError{Index: i, Spec: s, Err: err}
		}
		out = append(out, t)
	}
	return out, nil
}

// ParseTarget parses one target spec (see ParseTargets).
func ParseTarget(s string) (TargetSpec, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return TargetSpec{}, fmt.Errorf("%w: empty spec: want an address, CIDR, a.b.c.d-e range or host name", ErrBadTarget)
	}
	if strings.Contains(raw, "%") {
		return TargetSpec{}, fmt.Errorf("%w: zoned addresses are not allowed", ErrBadTarget)
	}
	if strings.Contains(raw, "/") {
		p, err := ParsePrefix(raw)
		if err != nil {
			return TargetSpec{}, fmt.Errorf("%w: %w", ErrBadTarget, err)
		}
		kind := TargetPrefix
		if p.IsSingleIP() {
			kind = TargetAddr
		}
		return TargetSpec{Raw: raw, Kind: kind, Prefix: p}, nil
	}
	if a, err := netip.ParseAddr(raw); err == nil {
		a = a.Unmap()
		return TargetSpec{Raw: raw, Kind: TargetAddr, Prefix: netip.PrefixFrom(a, a.BitLen())}, nil
	}
	if head, tail, ok := strings.Cut(raw, "-"); ok {
		if from, err := netip.ParseAddr(head); err == nil {
			return parseRange(raw, from, tail)
		}
	}
	name, err := parseName(raw)
	if err != nil {
		return TargetSpec{}, err
	}
	return TargetSpec{Raw: raw, Kind: TargetName, Name: name}, nil
}

// parseRange reads nmap's a.b.c.d-e form, where e is the last octet of the end address.
func parseRange(raw string, from netip.Addr, tail string) (TargetSpec, error) {
	if !from.Is4() {
		return TargetSpec{}, fmt.Errorf("%w: ranges are IPv4 only (a.b.c.d-e); write IPv6 as a CIDR", ErrBadTarget)
	}
	end, err := strconv.Atoi(tail)
	if err != nil || tail == "" || tail[0] == '+' || tail[0] == '-' {
		return TargetSpec{}, fmt.Errorf("%w: range end %q: want the last octet, 0-255 (a.b.c.d-e)", ErrBadTarget, tail)
	}
	b := from.As4()
	if end < int(b[3]) || end > 255 {
		return TargetSpec{}, fmt.Errorf("%w: range end %d: want %d-255", ErrBadTarget, end, b[3])
	}
	b[3] = byte(end)
	return TargetSpec{Raw: raw, Kind: TargetRange, From: from, To: netip.AddrFrom4(b)}, nil
}

// parseName checks s is a DNS host name (RFC 1123 labels, underscores tolerated) whose last
// label is not numeric, so that a mistyped address ("10.0.0.256") is an error rather than a
// name to look up.
func parseName(s string) (string, error) {
	name := strings.ToLower(strings.TrimSuffix(s, "."))
	if name == "" || len(name) > 253 {
		return "", fmt.Errorf("%w: want an address, CIDR, a.b.c.d-e range or host name (1-253 characters)", ErrBadTarget)
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", fmt.Errorf("%w: host name label %q: want 1-63 characters", ErrBadTarget, l)
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "", fmt.Errorf("%w: host name label %q starts or ends with '-'", ErrBadTarget, l)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", fmt.Errorf("%w: want an address, CIDR, a.b.c.d-e range or host name: character %q not allowed", ErrBadTarget, c)
			}
		}
	}
	last := labels[len(labels)-1]
	if strings.Trim(last, "0123456789") == "" {
		return "", fmt.Errorf("%w: not a valid address, and a host name cannot end in a numeric label", ErrBadTarget)
	}
	return name, nil
}

// size is how many addresses t stands for, saturating at 1<<62.
func (t TargetSpec) size() uint64 {
	switch t.Kind {
	case TargetAddr:
		return 1
	case TargetPrefix:
		host := t.Prefix.Addr().BitLen() - t.Prefix.Bits()
		if host >= 62 {
			return 1 << 62
		}
		return 1 << host
	case TargetRange:
		return uint64(t.To.As4()[3]-t.From.As4()[3]) + 1
	}
	return 0
}

// first returns the first address of an address, CIDR or range spec.
func (t TargetSpec) first() netip.Addr {
	if t.Kind == TargetRange {
		return t.From
	}
	return t.Prefix.Addr()
}

// Resolver looks host names up; *net.Resolver (net.DefaultResolver) satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// LookupNetIP calls f.
func (f ResolverFunc) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return f(ctx, network, host)
}

// Refusal is a target, or one address of it, that the scope guard kept out. Addr is the zero
// address when the refusal concerns the whole spec (a name that does not resolve, a CIDR that
// is too large or entirely out of scope) or summarises several addresses.
type Refusal struct {
	Spec   string     `json:"spec"`
	Addr   netip.Addr `json:"addr,omitzero"`
	Reason string     `json:"reason"`
	// Err wraps the category: ErrOutOfScope, ErrExcluded, ErrTooLarge, ErrResolve.
	Err error `json:"-"`
}

func (r Refusal) String() string {
	if r.Addr.IsValid() {
		return fmt.Sprintf("%s (%s): %s", r.Spec, r.Addr, r.Reason)
	}
	return fmt.Sprintf("%s: %s", r.Spec, r.Reason)
}

func refuse(spec string, a netip.Addr, err error) Refusal {
	return Refusal{Spec: spec, Addr: a, Reason: err.Error(), Err: err}
}

// maxListedRefusals is how many refused addresses of one spec are listed one by one before
// the rest are summarised in a single refusal, so a /16 out of scope is not 65,536 lines.
const maxListedRefusals = 8

// Resolve turns specs into the addresses that may be scanned, sorted and unique, and lists
// what it refused and why. Names are looked up through r once per call each, and only that
// answer is checked and returned, so a resolver that answers differently the next time cannot
// bring an address in after the check; nmap later gets these addresses with -n and never a
// name. CIDRs and ranges expand to at most s.MaxExpand addresses in all; a spec that would go
// past it is refused whole with ErrTooLarge.
//
// The error is ErrNoScope when s is empty, or the context's error; a name that fails to
// resolve is a refusal, not an error.
func (s Scope) Resolve(ctx context.Context, r Resolver, specs []TargetSpec) (in []netip.Addr, refused []Refusal, err error) {
	if s.Empty() {
		return nil, nil, ErrNoScope
	}
	limit := uint64(s.maxExpand())
	var used uint64
	seen := map[netip.Addr]bool{}
	answers := map[string][]netip.Addr{}
	failures := map[string]error{}
	for _, t := range specs {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		var addrs []netip.Addr
		switch t.Kind {
		case TargetAddr, TargetPrefix, TargetRange:
			n := t.size()
			if used+n > limit || n > limit {
				refused = append(refused, refuse(t.Raw, netip.Addr{}, fmt.Errorf(
					"%w: expands to %d addresses, which would bring this resolve to %d, above the limit of %d (raise scope.max_expand to allow it)",
					ErrTooLarge, n, used+n, limit)))
				continue
			}
			used += n
			if t.Kind == TargetPrefix && !s.overlapsAllow(t.Prefix) {
				refused = append(refused, refuse(t.Raw, netip.Addr{}, fmt.Errorf("%w: %s overlaps no allowed prefix", ErrOutOfScope, t.Prefix)))
				continue
			}
			a := t.first()
			for i := uint64(0); i < n; i++ {
				addrs = append(addrs, a)
				a = a.Next()
			}
		case TargetName:
			if r == nil {
				return nil, nil, fmt.Errorf("resolve %q: no resolver given", t.Raw)
			}
			if _, done := answers[t.Name]; !done {
				if _, failed := failures[t.Name]; !failed {
					got, err := r.LookupNetIP(ctx, "ip", t.Name)
					if ctxErr := ctx.Err(); ctxErr != nil {
						return nil, nil, ctxErr
					}
					if err == nil && len(got) == 0 {
						err = errors.New("no address")
					}
					if err != nil {
						failures[t.Name] = err
					} else {
						answers[t.Name] = append([]netip.Addr(nil), got...)
					}
				}
			}
			if err, failed := failures[t.Name]; failed {
				refused = append(refused, refuse(t.Raw, netip.Addr{}, fmt.Errorf("%w: %w", ErrResolve, err)))
				continue
			}
			addrs = answers[t.Name]
			if used+uint64(len(addrs)) > limit {
				refused = append(refused, refuse(t.Raw, netip.Addr{}, fmt.Errorf(
					"%w: resolves to %d addresses, above the limit of %d", ErrTooLarge, len(addrs), limit)))
				continue
			}
			used += uint64(len(addrs))
		default:
			return nil, nil, fmt.Errorf("resolve %q: %w: unknown kind %s", t.Raw, ErrBadTarget, t.Kind)
		}
		refused = append(refused, s.admit(t.Raw, addrs, seen, &in)...)
	}
	sort.Slice(in, func(i, j int) bool { return in[i].Less(in[j]) })
	return in, refused, nil
}

// admit checks every address of one spec, appends the admitted ones to in, and returns the
// refusals, listing at most maxListedRefusals per category before summarising.
func (s Scope) admit(spec string, addrs []netip.Addr, seen map[netip.Addr]bool, in *[]netip.Addr) []Refusal {
	type group struct {
		first []Refusal
		count int
	}
	var groups []*group
	byErr := map[error]*group{}
	for _, a := range addrs {
		err := s.Check(a)
		if err == nil {
			a = a.Unmap()
			if !seen[a] {
				seen[a] = true
				*in = append(*in, a)
			}
			continue
		}
		cat := ErrOutOfScope
		if errors.Is(err, ErrExcluded) {
			cat = ErrExcluded
		}
		g := byErr[cat]
		if g == nil {
			g = &group{}
			byErr[cat] = g
			groups = append(groups, g)
		}
		g.count++
		if len(g.first) < maxListedRefusals {
			g.first = append(g.first, refuse(spec, a, err))
		}
	}
	var out []Refusal
	for _, g := range groups {
		out = append(out, g.first...)
		if rest := g.count - len(g.first); rest > 0 {
			cat := g.first[0].Err
			out = append(out, Refusal{Spec: spec, Reason: fmt.Sprintf("and %d more addresses refused like the ones above", rest), Err: cat})
		}
	}
	return out
}
