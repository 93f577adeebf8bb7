package intel_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/features/intel"
)

func TestReadEPSS(t *testing.T) {
	scoreDate := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		file      string
		model     string
		date      time.Time
		n         int
		cve       string
		epss, pct float64
	}{
		{"epss_scores-2025-06-01.csv", "v2025.03.14", scoreDate, 10, "CVE-2021-41773", 0.94395, 0.99973},
		{"epss_scores-2025-06-01.csv.gz", "v2025.03.14", scoreDate, 10, "cve-2021-4102", 0.00612, 0.68966},
		{"epss_2021-v1_nopercentile.csv", "", time.Time{}, 2, "CVE-2021-41773", 0.97085, 0},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			e, err := intel.ReadEPSS(tc.file, f)
			if err != nil {
				t.Fatal(err)
			}
			if e.ModelVersion != tc.model || !e.ScoreDate.Equal(tc.date) {
				t.Errorf("model %q date %v, want %q %v", e.ModelVersion, e.ScoreDate, tc.model, tc.date)
			}
			if len(e.Scores) != tc.n {
				t.Errorf("%d scores, want %d", len(e.Scores), tc.n)
			}
			got, ok := e.Lookup(tc.cve)
			if !ok || got != tc.epss {
				t.Errorf("Lookup(%s) = %v %v, want %v", tc.cve, got, ok, tc.epss)
			}
			if s := e.Scores[strings.ToUpper(tc.cve)]; s.Percentile != tc.pct {
				t.Errorf("percentile %v, want %v", s.Percentile, tc.pct)
			}
			if _, ok := e.Lookup("CVE-2000-0001"); ok {
				t.Error("Lookup found a CVE the file does not list")
			}
		})
	}
}

// The file sorts CVE ids as text (CVE-2021-4102 before CVE-2021-41773 before CVE-2021-42013);
// a reader that assumed numeric order and, say, binary-searched would miss rows.
func TestReadEPSSTextOrder(t *testing.T) {
	in := "cve,epss,percentile\nCVE-2021-10000,0.1,0.5\nCVE-2021-4102,0.2,0.6\nCVE-2021-41773,0.9,0.99\nCVE-2021-9999,0.3,0.7\n"
	e, err := intel.ReadEPSS("order.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	for cve, want := range map[string]float64{"CVE-2021-10000": 0.1, "CVE-2021-4102": 0.2, "CVE-2021-41773": 0.9, "CVE-2021-9999": 0.3} {
		if got, ok := e.Lookup(cve); !ok || got != want {
			t.Errorf("%s: %v %v, want %v", cve, got, ok, want)
		}
	}
}

func TestReadEPSSRFC3339Date(t *testing.T) {
	in := "#model_version:v2026.06.15,score_date:2026-09-21T12:03:23Z\ncve,epss,percentile\nCVE-2026-0001,0.5,0.9\n"
	e, err := intel.ReadEPSS("new.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 9, 21, 12, 3, 23, 0, time.UTC); !e.ScoreDate.Equal(want) {
		t.Errorf("date %v, want %v", e.ScoreDate, want)
	}
}

func TestReadEPSSErrors(t *testing.T) {
	head := "#model_version:v2025.03.14,score_date:2025-06-01T00:00:00+0000\ncve,epss,percentile\n"
	var corrupt bytes.Buffer
	zw := gzip.NewWriter(&corrupt)
	zw.Write([]byte(head + "CVE-2021-41773,0.9,0.9\n"))
	zw.Close()
	bad := corrupt.Bytes()[:corrupt.Len()-6]
	tests := []struct {
		name   string
		input  string
		want   []string
		format bool
	}{
		{"epss above one", head + "CVE-2021-41773,0.9,0.9\nCVE-2021-42013,1.5,0.9\n", []string{"e.csv:4", "field epss", "want a number in [0, 1]"}, false},
		{"bad percentile", head + "CVE-2021-41773,0.9,high\n", []string{"e.csv:3", "field percentile"}, false},
		{"bad cve", head + "CVE-2021-41773,0.9,0.9\nGHSA-1234,0.1,0.1\n", []string{"e.csv:4", "field cve", "want CVE-YYYY-NNNN"}, false},
		{"duplicate", head + "CVE-2021-41773,0.9,0.9\nCVE-2021-41773,0.8,0.9\n", []string{"e.csv:4", "listed twice"}, false},
		{"wrong header", "#model_version:v1\nid,score\nCVE-2021-41773,0.9\n", []string{"e.csv:2", "want cve,epss,percentile"}, true},
		{"bad score date", "#model_version:v1,score_date:June\ncve,epss\n", []string{"e.csv:1", "score_date \"June\""}, false},
		{"bad comment", "#just a comment\ncve,epss\n", []string{"e.csv:1", "want key:value"}, false},
		{"short row", head + "CVE-2021-41773,0.9\n", []string{"e.csv:3", "want 3 fields"}, false},
		{"no header", "#model_version:v1\n", []string{"e.csv:2", "no header"}, true},
		{"corrupt gzip", string(bad), []string{"e.csv"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := intel.ReadEPSS("e.csv", strings.NewReader(tc.input))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if got := errors.Is(err, intel.ErrFormat); got != tc.format {
				t.Errorf("errors.Is(ErrFormat) = %v, want %v (%v)", got, tc.format, err)
			}
		})
	}
}

func FuzzReadEPSS(f *testing.F) {
	for _, name := range []string{"epss_scores-2025-06-01.csv", "epss_scores-2025-06-01.csv.gz", "epss_2021-v1_nopercentile.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := intel.ReadEPSS("fuzz", bytes.NewReader(data))
		if err != nil {
			return
		}
		for cve, s := range e.Scores {
			if s.EPSS < 0 || s.EPSS > 1 || s.Percentile < 0 || s.Percentile > 1 {
				t.Fatalf("%s: score out of range accepted: %+v", cve, s)
			}
			if got, ok := e.Lookup(cve); !ok || got != s.EPSS {
				t.Fatalf("Lookup(%s) = %v %v", cve, got, ok)
			}
		}
	})
}
