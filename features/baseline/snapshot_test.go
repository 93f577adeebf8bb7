package baseline_test

import (
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/baseline"
)

func TestNewSnapshot(t *testing.T) {
	tests := []struct {
		name, args, err string
		known           bool
	}{
		{name: "ports given", args: "nmap -n -sS -p 22,80 127.0.0.2", known: true},
		{name: "ports from nmap-services", args: "nmap -n --top-ports 100 127.0.0.2"},
		{name: "bad port spec", args: "nmap -n -p 22,,80 127.0.0.2", err: `scan s1: args "nmap -n -p 22,,80 127.0.0.2"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := baseline.NewSnapshot(riskmap.Scan{ID: "s1", Args: tc.args}, nil, nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (snap.Coverage != nil) != tc.known || snap.Scan.ID != "s1" {
				t.Errorf("snapshot %+v: coverage known %v, want %v", snap, snap.Coverage != nil, tc.known)
			}
		})
	}
}
