package scanner_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/scanner"
)

func TestParseTargets(t *testing.T) {
	tests := []struct {
		spec string
		kind scanner.TargetKind
		want string // Prefix, From-To or Name
		err  string
	}{
		{spec: "10.0.0.5", kind: scanner.TargetAddr, want: "10.0.0.5/32"},
		{spec: " 10.0.0.5 ", kind: scanner.TargetAddr, want: "10.0.0.5/32"},
		{spec: "10.0.0.5/32", kind: scanner.TargetAddr, want: "10.0.0.5/32"},
		{spec: "::ffff:10.0.0.5", kind: scanner.TargetAddr, want: "10.0.0.5/32"},
		{spec: "fd00::5", kind: scanner.TargetAddr, want: "fd00::5/128"},
		{spec: "10.0.0.0/24", kind: scanner.TargetPrefix, want: "10.0.0.0/24"},
		{spec: "10.0.0.77/24", kind: scanner.TargetPrefix, want: "10.0.0.0/24"},
		{spec: "fd00::/120", kind: scanner.TargetPrefix, want: "fd00::/120"},
		{spec: "10.0.0.1-20", kind: scanner.TargetRange, want: "10.0.0.1-10.0.0.20"},
		{spec: "10.0.0.7-7", kind: scanner.TargetRange, want: "10.0.0.7-10.0.0.7"},
		{spec: "Web-1.Prod.Example.", kind: scanner.TargetName, want: "web-1.prod.example"},
		{spec: "_sip._tcp.example.com", kind: scanner.TargetName, want: "_sip._tcp.example.com"},
		{spec: "localhost", kind: scanner.TargetName, want: "localhost"},
		{spec: "", err: "empty spec"},
		{spec: "10.0.0.20-1", err: "want 20-255"},
		{spec: "10.0.0.1-256", err: "want 1-255"},
		{spec: "10.0.0.1-", err: "range end"},
		{spec: "10.0.0.1-+5", err: "range end"},
		{spec: "fd00::1-5", err: "IPv4 only"},
		{spec: "10.0.0.256", err: "numeric label"},
		{spec: "10.0.0.*", err: "not allowed"},
		{spec: "10.0.0.0/33", err: "want a CIDR"},
		{spec: "fe80::1%eth0", err: "zoned"},
		{spec: "-bad.example", err: "starts or ends"},
		{spec: "a..example", err: "1-63 characters"},
		{spec: "http://example.com", err: "want a CIDR"},
		{spec: "host name", err: "not allowed"},
		{spec: strings.Repeat("a", 64) + ".example", err: "1-63 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := scanner.ParseTargets([]string{"10.1.1.1", tt.spec})
			if tt.err != "" {
				var te *scanner.TargetError
				if !errors.As(err, &te) || te.Index != 1 || !errors.Is(err, scanner.ErrBadTarget) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want a *TargetError at index 1 wrapping ErrBadTarget and saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := got[1]
			if s.Kind != tt.kind {
				t.Fatalf("kind = %s, want %s", s.Kind, tt.kind)
			}
			var desc string
			switch s.Kind {
			case scanner.TargetAddr, scanner.TargetPrefix:
				desc = s.Prefix.String()
			case scanner.TargetRange:
				desc = s.From.String() + "-" + s.To.String()
			case scanner.TargetName:
				desc = s.Name
			}
			if desc != tt.want {
				t.Errorf("parsed as %q, want %q", desc, tt.want)
			}
		})
	}
}

// FuzzParseTargets checks that the parser never panics, that what it accepts re-parses to the
// same spec, and that Resolve never admits an address outside the scope whatever the spec.
func FuzzParseTargets(f *testing.F) {
	for _, s := range []string{"10.0.0.5", "10.0.0.0/24", "10.0.0.1-20", "fd00::/126", "::ffff:10.0.0.1",
		"web.example", "10.0.0.256", "10.0.0.20-1", "fe80::1%lo", "", "a-.b", "127.0.0.1-255", "0.0.0.0/0"} {
		f.Add(s)
	}
	scope, err := scanner.ParseScope([]string{"10.0.0.0/25", "fd00::/120"}, []string{"10.0.0.5"})
	if err != nil {
		f.Fatal(err)
	}
	scope.MaxExpand = 1024
	res := scanner.ResolverFunc(func(context.Context, string, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("10.0.0.3"), netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("192.0.2.1")}, nil
	})
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := scanner.ParseTargets([]string{spec})
		if err != nil {
			if !errors.Is(err, scanner.ErrBadTarget) {
				t.Fatalf("error %v does not wrap ErrBadTarget", err)
			}
			return
		}
		s := got[0]
		again, err := scanner.ParseTarget(s.Raw)
		if err != nil || again.Kind != s.Kind || again.Prefix != s.Prefix || again.From != s.From || again.To != s.To || again.Name != s.Name {
			t.Fatalf("%q parsed as %+v, its Raw re-parses as %+v, %v", spec, s, again, err)
		}
		switch s.Kind {
		case scanner.TargetAddr, scanner.TargetPrefix:
			if !s.Prefix.IsValid() || s.Prefix != s.Prefix.Masked() || s.Prefix.Addr().Is4In6() {
				t.Fatalf("%q: prefix %s not valid, masked and unmapped", spec, s.Prefix)
			}
		case scanner.TargetRange:
			if !s.From.Is4() || !s.To.Is4() || s.To.Less(s.From) {
				t.Fatalf("%q: range %s-%s", spec, s.From, s.To)
			}
		case scanner.TargetName:
			if s.Name == "" || s.Name != strings.ToLower(s.Name) {
				t.Fatalf("%q: name %q", spec, s.Name)
			}
		default:
			t.Fatalf("%q: kind %s", spec, s.Kind)
		}
		in, _, err := scope.Resolve(context.Background(), res, got)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range in {
			if !scope.Contains(a) {
				t.Fatalf("%q: Resolve admitted %s, outside %s", spec, a, scope)
			}
		}
	})
}
