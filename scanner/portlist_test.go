package scanner_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/scanner"
)

func TestPortList(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "", want: ""},
		{in: "22", want: "22"},
		{in: "80,22,443,22", want: "22,80,443"},
		{in: "1-3,5,4", want: "1-5"},
		{in: " 8000-8002 , 8001-8005,1 ", want: "1,8000-8005"},
		{in: "1-65535,1-65535", want: "1-65535"},
		{in: "0", err: "want 1-65535"},
		{in: "65536", err: "want 1-65535"},
		{in: "5-3", err: "range end below its start"},
		{in: "22,,80", err: "item 2"},
		{in: "-5", err: "not a port number"},
		{in: "T:22", err: "not a port number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := scanner.ParsePortList(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("ParsePortList(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		in := struct{ P scanner.PortList }{scanner.PortList{22, 80, 81, 82}}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != `{"P":"22,80-82"}` {
			t.Errorf("json = %s", b)
		}
		var out struct{ P scanner.PortList }
		if err := json.Unmarshal(b, &out); err != nil || !slices.Equal(out.P, in.P) {
			t.Errorf("round trip = %v, %v", out.P, err)
		}
	})
}

func FuzzPortList(f *testing.F) {
	for _, s := range []string{"22", "1-1024,3306", "1-65535", "5-3", "", "0", "80,80,80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := scanner.ParsePortList(s)
		if err != nil {
			return
		}
		if !slices.IsSorted(l) || len(slices.Compact(slices.Clone(l))) != len(l) {
			t.Fatalf("%q: not sorted and unique: %v", s, l)
		}
		again, err := scanner.ParsePortList(l.String())
		if err != nil || !slices.Equal(again, l) {
			t.Fatalf("%q: %q re-parses to %v, %v", s, l, again, err)
		}
	})
}
