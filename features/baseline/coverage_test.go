package baseline_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/features/baseline"
)

func TestParsePorts(t *testing.T) {
	tests := []struct{ in, want string }{
		{"22,80,443", "22,80,443"},
		{"80,22,23,24,25", "22-25,80"},
		{"1000-2000,1500-2500", "1000-2500"},
		{"-", "1-65535"},
		{"-1024", "1-1024"},
		{"60000-", "60000-65535"},
		{"T:22,80,U:53,161", "T:22,80,U:53,161"},
		{"U:53,T:22", "T:22,U:53"},
		{"22,T:80", "22,T:80"},
		{"S:2905", "S:2905"},
		{" 0 ", "0"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			c, err := baseline.ParsePorts(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParsePortsErrors(t *testing.T) {
	tests := []struct {
		in, want string
		unknown  bool
	}{
		{"", "empty", false},
		{"22,,80", "empty item", false},
		{"http", "service names", true},
		{"ftp*", "wildcards", true},
		{"[1-1024]", "brackets", true},
		{"70000", "want a number in 0-65535", false},
		{"2000-1000", "want the low port first", false},
		{"X:22", "want T:, U: or S:", false},
		{"22-abc", "want a number", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := baseline.ParsePorts(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if got := errors.Is(err, baseline.ErrUnknownCoverage); got != tc.unknown {
				t.Errorf("errors.Is(ErrUnknownCoverage) = %v, want %v", got, tc.unknown)
			}
		})
	}
}

func TestCoverageFromArgs(t *testing.T) {
	tests := []struct {
		args, want string
		unknown    bool
	}{
		{"nmap -n -sV -p 22,80 -oX - 127.0.0.2", "T:22,80", false},
		{"nmap -n -p- 127.0.0.2", "T:1-65535", false},
		{"nmap -n -pT:22,U:53 -sU -sS 127.0.0.2", "T:22,U:53", false},
		{"nmap -n -sU -sS -p 53,161 127.0.0.2", "T:53,161,U:53,161", false},
		{"nmap -n -sU -p 53 127.0.0.2", "U:53", false},
		{"nmap -n -sV 127.0.0.2", "", true},
		{"nmap -n --top-ports 100 127.0.0.2", "", true},
		{"nmap -n -F 127.0.0.2", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.args, func(t *testing.T) {
			c, err := baseline.CoverageFromArgs(tc.args)
			if tc.unknown {
				if !errors.Is(err, baseline.ErrUnknownCoverage) {
					t.Fatalf("error %v, want ErrUnknownCoverage", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.String() != tc.want {
				t.Errorf("got %q, want %q", c.String(), tc.want)
			}
		})
	}
}

func TestCoverageContains(t *testing.T) {
	p := func(s string) baseline.Coverage {
		c, err := baseline.ParsePorts(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tcp := func(s string) baseline.Coverage {
		c, err := baseline.ParseScanInfo("tcp", s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name string
		c, o baseline.Coverage
		want bool
	}{
		{"same", p("22,80"), p("22,80"), true},
		{"superset", p("-"), p("22,80,443"), true},
		{"subset", p("22,80"), p("22,80,443"), false},
		{"adjacent ranges join", tcp("1-100,101-200"), tcp("50-150"), true},
		{"gap", tcp("1-100,102-200"), tcp("50-150"), false},
		{"unqualified covers tcp", p("1-1000"), tcp("22,80"), true},
		{"tcp does not cover unqualified", tcp("1-1000"), p("22"), false},
		{"udp does not cover tcp", p("U:1-1000"), tcp("53"), false},
		{"unknown contains nothing", nil, p("22"), false},
		{"nothing contains unknown", p("-"), nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Contains(tc.o); got != tc.want {
				t.Errorf("%v.Contains(%v) = %v, want %v", tc.c, tc.o, got, tc.want)
			}
		})
	}
	if !baseline.Coverage(nil).Covers("tcp", 22) {
		t.Error("unknown coverage must cover every port, so that Diff compares all")
	}
	if tcp("22").Covers("udp", 22) || !tcp("22").Covers("tcp", 22) {
		t.Error("Covers ignores the protocol")
	}
}

func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"22,80,443", "-", "T:22,80,U:53,161", "1-1024,2000-", "S:2905,0", "http"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := baseline.ParsePorts(s)
		if err != nil {
			return
		}
		again, err := baseline.ParsePorts(c.String())
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", c.String(), s, err)
		}
		if again.String() != c.String() || !again.Contains(c) || !c.Contains(again) {
			t.Fatalf("round trip of %q: %q then %q", s, c, again)
		}
	})
}
