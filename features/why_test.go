package features_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/features"
)

func TestWhy(t *testing.T) {
	names := features.Names()
	at := func(name string) int { return slices.Index(names, name) }
	row := make([]float32, len(names))
	contrib := make([]float32, len(names))
	set := func(name string, v, c float32) { row[at(name)], contrib[at(name)] = v, c }
	set("serious_scans", 3, 0.9)
	set("scans_seen", 5, 0)
	set("nbr_image_serious", 0.75, 0.5)
	set("nbr_image_size", 12, 0.4) // the same sentence as the share: said once
	set("svc_redis", 1, 0.3)
	set("internet_data_ports", 2, -0.2) // pushed the score down: no reason
	got := features.Why(row, contrib, 5)
	want := []string{
		"3 of its 5 scans found a high or critical finding",
		"9 of the 12 other hosts on the same image had a high or critical finding",
		"its latest scan found Redis open on 1 port",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Why =\n %q\nwant\n %q", got, want)
	}
	if got := features.Why(row, contrib, 1); len(got) != 1 {
		t.Errorf("k=1 gave %d sentences", len(got))
	}
	// Every feature at a typical value reads as a sentence or is left out, never a raw name.
	for i, n := range names {
		r, c := make([]float32, len(names)), make([]float32, len(names))
		r[i], c[i] = 2, 1
		for _, s := range features.Why(r, c, 3) {
			if strings.Contains(s, "_") || s == "" {
				t.Errorf("%s: sentence %q", n, s)
			}
		}
	}
}

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"serious_scans=3 (+0.41)":       "3 scans found a high or critical finding on it",
		"nbr_image_serious=0.75 (+0.3)": "75% of the other hosts on the same image had a high or critical finding",
		"never_scanned=1 (+0.2)":        "no scan has ever covered it",
		"unknown_feature=1 (+0.1)":      "unknown_feature=1 (+0.1)",
		"exploration: never scanned":    "exploration: never scanned",
	} {
		if got := features.Sentence(in); got != want {
			t.Errorf("Sentence(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSentence feeds Sentence arbitrary reasons: it never panics, and what it cannot read it
// returns unchanged.
func FuzzSentence(f *testing.F) {
	for _, s := range []string{"serious_scans=3 (+0.41)", "nbr_image_serious=0.75 (+0.3)", "x=", "=1", "", "age_days=NaN (+1)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reason string) {
		got := features.Sentence(reason)
		if got == "" && reason != "" {
			name, _, _ := strings.Cut(reason, "=")
			if name != "findings_low" && name != "findings_info" && name != "days_since_serious" {
				t.Errorf("Sentence(%q) is empty", reason)
			}
		}
	})
}
