package baseline_test

import (
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/baseline"
)

func TestAutoBaseline(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 2, 0, 0, 0, time.UTC) }
	// Coverage as the XML's <scaninfo protocol="tcp" services="..."> gives it.
	cov := func(s string) baseline.Coverage {
		c, err := baseline.ParseScanInfo("tcp", s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	scan := func(id string, d int, complete bool, profile string) riskmap.Scan {
		return riskmap.Scan{ID: id, Started: day(d), Finished: day(d).Add(time.Hour), Complete: complete, Profile: profile}
	}
	history := []baseline.Candidate{
		{scan("s1", 1, true, "standard"), cov("1-1000")},
		{scan("s2", 2, true, "deep"), cov("-")},
		{scan("s3", 3, false, "standard"), cov("1-1000")}, // truncated
		{scan("s4", 4, true, "light"), cov("22,80,443")},  // covers too little
		{scan("s5", 5, true, "standard"), nil},            // coverage unknown
		{scan("s6", 6, true, "standard"), cov("1-1000")},  // after current
		{scan("s7", 3, true, "standard"), cov("1-1000")},
	}
	udp53, err := baseline.ParseScanInfo("udp", "53")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		current baseline.Candidate
		want    string
	}{
		{"most recent complete scan covering the ports", baseline.Candidate{scan("cur", 5, true, "standard"), cov("1-1000")}, "s7"},
		{"a deeper scan covers a narrower one", baseline.Candidate{scan("cur", 5, true, "light"), cov("8000-9000")}, "s2"},
		{"same start time: later finish wins", baseline.Candidate{scan("cur", 4, true, "standard"), cov("22")}, "s7"},
		{"unknown coverage: same profile with unknown coverage", baseline.Candidate{scan("cur", 7, true, "standard"), nil}, "s5"},
		{"nothing before the first scan", baseline.Candidate{scan("cur", 1, true, "standard"), cov("22")}, ""},
		{"no candidate covers udp", baseline.Candidate{scan("cur", 7, true, "deep"), udp53}, ""},
		{"never itself", baseline.Candidate{scan("s2", 2, true, "deep"), cov("22")}, "s1"},
	}
	// s7 and s3 start on the same day; give s7 the later finish so the tie-break shows.
	history[6].Scan.Finished = day(3).Add(2 * time.Hour)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := baseline.AutoBaseline(tc.current, history)
			if tc.want == "" {
				if ok {
					t.Errorf("picked %s, want none", got.ID)
				}
				return
			}
			if !ok || got.ID != tc.want {
				t.Errorf("picked %q (%v), want %s", got.ID, ok, tc.want)
			}
		})
	}
}
