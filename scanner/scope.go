package scanner

import (
	"fmt"
	"net/netip"
	"strings"
)

// DefaultMaxExpand is the most addresses one Resolve call expands CIDRs and ranges into when
// Scope.MaxExpand is zero: a /16. A /8 (16,777,216 addresses) is refused unless the limit is
// raised on purpose.
const DefaultMaxExpand = 1 << 16

// Scope is what riskmap may scan: the addresses inside an Allow prefix and inside no Exclude
// prefix. The zero Scope allows nothing, and every scan refuses to start with ErrNoScope.
//
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are checked as the IPv4 address they map, so
// that the mapped form cannot slip past an IPv4 exclusion.
type Scope struct {
	Allow   []netip.Prefix
	Exclude []netip.Prefix
	// MaxExpand bounds how many addresses the CIDRs and ranges of one Resolve call may expand
	// to; 0 means DefaultMaxExpand.
	MaxExpand int
}

// ScopeConfig is the scope as the configuration file writes it.
type ScopeConfig struct {
	// Allow lists the CIDRs and single addresses (IPv4 or IPv6) that may be scanned.
	Allow []string `yaml:"allow" json:"allow"`
	// Exclude lists CIDRs and addresses never to be touched, even inside Allow.
	Exclude []string `yaml:"exclude" json:"exclude"`
	// MaxExpand bounds CIDR and range expansion (0: DefaultMaxExpand).
	MaxExpand int `yaml:"max_expand" json:"max_expand"`
}

// Scope parses c. An empty Allow list is not an error here (it is a valid "scan nothing"
// configuration); every scan with it fails with ErrNoScope.
func (c ScopeConfig) Scope() (Scope, error) {
	if c.MaxExpand < 0 {
		return Scope{}, fmt.Errorf("%w: scope.max_expand %d: want >= 0", ErrBadConfig, c.MaxExpand)
	}
	s := Scope{MaxExpand: c.MaxExpand}
	for i, v := range c.Allow {
		p, err := ParsePrefix(v)
		if err != nil {
			return Scope{}, fmt.Errorf("%w: scope.allow[%d]: %w", ErrBadConfig, i, err)
		}
		s.Allow = append(s.Allow, p)
	}
	for i, v := range c.Exclude {
		p, err := ParsePrefix(v)
		if err != nil {
			return Scope{}, fmt.Errorf("%w: scope.exclude[%d]: %w", ErrBadConfig, i, err)
		}
		s.Exclude = append(s.Exclude, p)
	}
	return s, nil
}

// ParseScope parses allow and exclude lists of CIDRs and addresses.
func ParseScope(allow, exclude []string) (Scope, error) {
	return ScopeConfig{Allow: allow, Exclude: exclude}.Scope()
}

// ParsePrefix reads an IPv4 or IPv6 CIDR or a single address (a /32 or /128). A CIDR with
// host bits set ("10.0.0.5/24") means its network, as nmap reads it. Zoned addresses are
// refused: a zone names an interface, not a place in the scope.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Prefix{}, fmt.Errorf("empty prefix: want a CIDR or an address")
	}
	if strings.Contains(s, "%") {
		return netip.Prefix{}, fmt.Errorf("prefix %q: zoned addresses are not allowed", s)
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("prefix %q: want a CIDR such as 10.0.0.0/16 or fd00::/64: %w", s, err)
		}
		if p.Addr().Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, fmt.Errorf("prefix %q: an IPv4-mapped prefix needs at least /96", s)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bits)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("prefix %q: want a CIDR or an address: %w", s, err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Empty reports whether s allows nothing.
func (s Scope) Empty() bool { return len(s.Allow) == 0 }

// Check returns nil when a may be scanned, and otherwise an error that wraps ErrNoScope,
// ErrOutOfScope or ErrExcluded and says which prefix decided.
func (s Scope) Check(a netip.Addr) error {
	if s.Empty() {
		return ErrNoScope
	}
	if !a.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrOutOfScope)
	}
	if a.Zone() != "" {
		return fmt.Errorf("%w: %s has a zone", ErrOutOfScope, a)
	}
	a = a.Unmap()
	for _, p := range s.Exclude {
		if p.Contains(a) {
			return fmt.Errorf("%w: %s is inside exclude %s", ErrExcluded, a, p)
		}
	}
	for _, p := range s.Allow {
		if p.Contains(a) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is inside no allowed prefix", ErrOutOfScope, a)
}

// Contains reports whether a may be scanned.
func (s Scope) Contains(a netip.Addr) bool { return s.Check(a) == nil }

// overlapsAllow reports whether any address of p could be in scope.
func (s Scope) overlapsAllow(p netip.Prefix) bool {
	for _, a := range s.Allow {
		if a.Overlaps(p) {
			return true
		}
	}
	return false
}

// excludes returns the exclusions of one address family (4 or 6) in nmap's syntax, for the
// --exclude second belt.
func (s Scope) excludes(family int) []string {
	var out []string
	for _, p := range s.Exclude {
		if (family == 4) == p.Addr().Is4() {
			if p.IsSingleIP() {
				out = append(out, p.Addr().String())
			} else {
				out = append(out, p.String())
			}
		}
	}
	return out
}

func (s Scope) maxExpand() int {
	if s.MaxExpand > 0 {
		return s.MaxExpand
	}
	return DefaultMaxExpand
}

// String writes s as "allow A,B exclude C".
func (s Scope) String() string {
	var b strings.Builder
	b.WriteString("allow ")
	if s.Empty() {
		b.WriteString("nothing")
	}
	for i, p := range s.Allow {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.String())
	}
	if len(s.Exclude) > 0 {
		b.WriteString(" exclude ")
		for i, p := range s.Exclude {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(p.String())
		}
	}
	return b.String()
}
