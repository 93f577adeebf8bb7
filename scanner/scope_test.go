package scanner_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/riskmap/riskmap/scanner"
)

func mustScope(t *testing.T, allow, exclude []string) scanner.Scope {
	t.Helper()
	s, err := scanner.ParseScope(allow, exclude)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseScope(t *testing.T) {
	tests := []struct {
		name    string
		allow   []string
		exclude []string
		want    string
		err     string
	}{
		{name: "cidrs and addresses", allow: []string{"10.0.0.0/16", "192.0.2.7", "fd00::/64"}, exclude: []string{"10.0.5.0/24"},
			want: "allow 10.0.0.0/16,192.0.2.7/32,fd00::/64 exclude 10.0.5.0/24"},
		{name: "host bits are masked", allow: []string{"10.0.0.5/24"}, want: "allow 10.0.0.0/24"},
		{name: "ipv4-mapped is unmapped", allow: []string{"::ffff:10.0.0.0/120"}, want: "allow 10.0.0.0/24"},
		{name: "empty is valid", want: "allow nothing"},
		{name: "garbage", allow: []string{"10.0.0.0/33"}, err: "scope.allow[0]"},
		{name: "blank", exclude: []string{" "}, err: "scope.exclude[0]: empty prefix"},
		{name: "zone", allow: []string{"fe80::1%eth0"}, err: "zoned"},
		{name: "name", allow: []string{"example.com"}, err: "want a CIDR or an address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := scanner.ParseScope(tt.allow, tt.exclude)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, scanner.ErrBadConfig) {
					t.Fatalf("err = %v, want ErrBadConfig containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.String(); got != tt.want {
				t.Errorf("scope = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScopeCheck(t *testing.T) {
	s := mustScope(t, []string{"10.0.0.0/16", "fd00:1::/64"}, []string{"10.0.5.0/24", "10.0.0.9", "fd00:1::dead"})
	tests := []struct {
		addr string
		want error
	}{
		{"10.0.0.1", nil},
		{"10.0.255.255", nil},
		{"10.0.5.7", scanner.ErrExcluded},        // an excluded /24 inside the allowed /16
		{"10.0.0.9", scanner.ErrExcluded},        // an excluded single address
		{"::ffff:10.0.0.9", scanner.ErrExcluded}, // the mapped form does not slip past
		{"::ffff:10.0.0.8", nil},
		{"10.1.0.1", scanner.ErrOutOfScope},
		{"192.168.0.1", scanner.ErrOutOfScope},
		{"fd00:1::1", nil},
		{"fd00:1::dead", scanner.ErrExcluded},
		{"fd00:2::1", scanner.ErrOutOfScope},
		{"fe80::1%eth0", scanner.ErrOutOfScope},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := s.Check(netip.MustParseAddr(tt.addr))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Check(%s) = %v, want %v", tt.addr, err, tt.want)
			}
		})
	}
	t.Run("no scope", func(t *testing.T) {
		if err := (scanner.Scope{}).Check(netip.MustParseAddr("10.0.0.1")); !errors.Is(err, scanner.ErrNoScope) {
			t.Fatalf("Check on an empty scope = %v, want ErrNoScope", err)
		}
	})
}

// fakeResolver answers from a table, counts its calls, and can change its answers.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][][]string // successive answers per name; the last one repeats
	calls   map[string]int
}

func (f *fakeResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if network != "ip" {
		return nil, fmt.Errorf("network %q: want ip", network)
	}
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	seq, ok := f.answers[host]
	n := f.calls[host]
	f.calls[host]++
	if !ok {
		return nil, fmt.Errorf("lookup %s: no such host", host)
	}
	ans := seq[min(n, len(seq)-1)]
	out := make([]netip.Addr, len(ans))
	for i, a := range ans {
		out[i] = netip.MustParseAddr(a)
	}
	return out, nil
}

func specs(t *testing.T, s ...string) []scanner.TargetSpec {
	t.Helper()
	out, err := scanner.ParseTargets(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func addrs(in []netip.Addr) []string {
	out := make([]string, len(in))
	for i, a := range in {
		out[i] = a.String()
	}
	return out
}

func TestResolve(t *testing.T) {
	scope := mustScope(t, []string{"10.0.0.0/24", "fd00::/120"}, []string{"10.0.0.5", "fd00::7"})
	res := &fakeResolver{answers: map[string][][]string{
		"inside.example":   {{"10.0.0.20", "fd00::20"}},
		"outside.example":  {{"203.0.113.9"}},
		"mixed.example":    {{"10.0.0.21", "198.51.100.1"}},
		"excluded.example": {{"10.0.0.5"}},
		"mapped.example":   {{"::ffff:10.0.0.22"}},
	}}
	tests := []struct {
		name    string
		specs   []string
		in      []string
		refused []string // "spec addr category"
	}{
		{name: "addresses", specs: []string{"10.0.0.1", "fd00::1", "10.0.1.1"}, in: []string{"10.0.0.1", "fd00::1"},
			refused: []string{"10.0.1.1 10.0.1.1 out of scope"}},
		{name: "range with an exclusion", specs: []string{"10.0.0.3-6"}, in: []string{"10.0.0.3", "10.0.0.4", "10.0.0.6"},
			refused: []string{"10.0.0.3-6 10.0.0.5 excluded"}},
		{name: "cidr with an exclusion", specs: []string{"fd00::4/126", "fd00::6/127"}, in: []string{"fd00::4", "fd00::5", "fd00::6"},
			refused: []string{"fd00::4/126 fd00::7 excluded", "fd00::6/127 fd00::7 excluded"}},
		{name: "cidr outside", specs: []string{"10.9.0.0/24"}, refused: []string{"10.9.0.0/24 invalid IP out of scope"}},
		{name: "name inside", specs: []string{"inside.example"}, in: []string{"10.0.0.20", "fd00::20"}},
		{name: "name outside", specs: []string{"outside.example"}, refused: []string{"outside.example 203.0.113.9 out of scope"}},
		{name: "name half outside", specs: []string{"mixed.example"}, in: []string{"10.0.0.21"},
			refused: []string{"mixed.example 198.51.100.1 out of scope"}},
		{name: "name to an excluded address", specs: []string{"excluded.example"}, refused: []string{"excluded.example 10.0.0.5 excluded"}},
		{name: "name to a mapped address", specs: []string{"mapped.example"}, in: []string{"10.0.0.22"}},
		{name: "name that does not resolve", specs: []string{"nowhere.example"}, refused: []string{"nowhere.example invalid IP cannot resolve"}},
		{name: "duplicates once", specs: []string{"10.0.0.1", "10.0.0.0/31", "10.0.0.1-1"}, in: []string{"10.0.0.0", "10.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, refused, err := scope.Resolve(context.Background(), res, specs(t, tt.specs...))
			if err != nil {
				t.Fatal(err)
			}
			if got := addrs(in); !slices.Equal(got, tt.in) && !(len(got) == 0 && len(tt.in) == 0) {
				t.Errorf("in = %v, want %v", got, tt.in)
			}
			var got []string
			for _, r := range refused {
				cat := "?"
				for _, c := range []struct {
					err  error
					name string
				}{{scanner.ErrExcluded, "excluded"}, {scanner.ErrOutOfScope, "out of scope"}, {scanner.ErrResolve, "cannot resolve"}, {scanner.ErrTooLarge, "too large"}} {
					if errors.Is(r.Err, c.err) {
						cat = c.name
						break
					}
				}
				got = append(got, fmt.Sprintf("%s %s %s", r.Spec, r.Addr, cat))
			}
			if !slices.Equal(got, tt.refused) && !(len(got) == 0 && len(tt.refused) == 0) {
				t.Errorf("refused = %q, want %q", got, tt.refused)
			}
		})
	}
}

// A resolver that answers in scope the first time and out of scope afterwards must not get
// the second answer through: each name is resolved once per Resolve and only that answer is
// checked and returned.
func TestResolveChangingAnswer(t *testing.T) {
	scope := mustScope(t, []string{"10.0.0.0/24"}, nil)
	t.Run("in then out", func(t *testing.T) {
		res := &fakeResolver{answers: map[string][][]string{"flip.example": {{"10.0.0.7"}, {"203.0.113.66"}}}}
		in, refused, err := scope.Resolve(context.Background(), res, specs(t, "flip.example", "FLIP.example.", "flip.example"))
		if err != nil {
			t.Fatal(err)
		}
		if got := addrs(in); !slices.Equal(got, []string{"10.0.0.7"}) {
			t.Errorf("in = %v, want only the first, checked answer", got)
		}
		if len(refused) != 0 {
			t.Errorf("refused = %v, want none", refused)
		}
		if res.calls["flip.example"] != 1 {
			t.Errorf("resolver called %d times for one name, want 1", res.calls["flip.example"])
		}
		for _, a := range in {
			if !scope.Contains(a) {
				t.Errorf("%s returned but out of scope", a)
			}
		}
	})
	t.Run("out then in", func(t *testing.T) {
		res := &fakeResolver{answers: map[string][][]string{"flop.example": {{"203.0.113.66"}, {"10.0.0.7"}}}}
		in, refused, err := scope.Resolve(context.Background(), res, specs(t, "flop.example", "flop.example"))
		if err != nil {
			t.Fatal(err)
		}
		if len(in) != 0 {
			t.Errorf("in = %v, want nothing: the first answer was out of scope", in)
		}
		if len(refused) != 2 || res.calls["flop.example"] != 1 {
			t.Errorf("refused = %v after %d calls, want the one answer refused for both specs", refused, res.calls["flop.example"])
		}
	})
}

func TestResolveLimits(t *testing.T) {
	t.Run("a /8 is refused at the default limit", func(t *testing.T) {
		scope := mustScope(t, []string{"10.0.0.0/8"}, nil)
		in, refused, err := scope.Resolve(context.Background(), nil, specs(t, "10.0.0.0/8", "10.0.0.1"))
		if err != nil {
			t.Fatal(err)
		}
		if len(refused) != 1 || !errors.Is(refused[0].Err, scanner.ErrTooLarge) || !strings.Contains(refused[0].Reason, "16777216") ||
			!strings.Contains(refused[0].Reason, "max_expand") {
			t.Fatalf("refused = %v, want the /8 refused as too large, naming its size and the setting", refused)
		}
		if got := addrs(in); !slices.Equal(got, []string{"10.0.0.1"}) {
			t.Errorf("in = %v, want the single address still admitted", got)
		}
	})
	t.Run("the limit counts every spec", func(t *testing.T) {
		scope := mustScope(t, []string{"10.0.0.0/8"}, nil)
		scope.MaxExpand = 300
		in, refused, err := scope.Resolve(context.Background(), nil, specs(t, "10.0.0.0/24", "10.0.1.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		if len(in) != 256 || len(refused) != 1 || refused[0].Spec != "10.0.1.0/24" || !errors.Is(refused[0].Err, scanner.ErrTooLarge) {
			t.Fatalf("got %d in, refused %v; want the first /24 and the second refused", len(in), refused)
		}
	})
	t.Run("an ipv6 /64 is refused", func(t *testing.T) {
		scope := mustScope(t, []string{"fd00::/48"}, nil)
		_, refused, err := scope.Resolve(context.Background(), nil, specs(t, "fd00::/64"))
		if err != nil {
			t.Fatal(err)
		}
		if len(refused) != 1 || !errors.Is(refused[0].Err, scanner.ErrTooLarge) {
			t.Fatalf("refused = %v, want the /64 refused", refused)
		}
	})
	t.Run("many refusals are summarised", func(t *testing.T) {
		scope := mustScope(t, []string{"10.0.0.0/24"}, []string{"10.0.0.0/25"})
		in, refused, err := scope.Resolve(context.Background(), nil, specs(t, "10.0.0.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		if len(in) != 128 || len(refused) != 9 || !strings.Contains(refused[8].Reason, "120 more") || !errors.Is(refused[8].Err, scanner.ErrExcluded) {
			t.Fatalf("got %d in and %d refusals (last %v), want 128 in, 8 listed and 1 summary of 120", len(in), len(refused), refused[len(refused)-1])
		}
	})
}

func TestResolveNoScope(t *testing.T) {
	res := &fakeResolver{answers: map[string][][]string{"a.example": {{"10.0.0.1"}}}}
	_, _, err := scanner.Scope{}.Resolve(context.Background(), res, specs(t, "a.example", "10.0.0.1"))
	if !errors.Is(err, scanner.ErrNoScope) || !strings.Contains(err.Error(), "scope.allow") {
		t.Fatalf("err = %v, want ErrNoScope telling what to set", err)
	}
	if len(res.calls) != 0 {
		t.Errorf("resolver called %v without a scope, want never", res.calls)
	}
}

func TestResolveCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	scope := mustScope(t, []string{"10.0.0.0/24"}, nil)
	if _, _, err := scope.Resolve(ctx, &fakeResolver{}, specs(t, "a.example")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
