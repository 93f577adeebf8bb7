package intel_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/features/intel"
)

var update = flag.Bool("update", false, "rewrite golden files")

func readKEVFile(t *testing.T, name string) *intel.KEV {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k, err := intel.ReadKEV(name, f)
	if err != nil {
		t.Fatalf("ReadKEV(%s): %v", name, err)
	}
	return k
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestReadKEV(t *testing.T) {
	tests := []struct {
		file     string
		version  string
		released string
		n        int
		check    func(t *testing.T, k *intel.KEV)
	}{
		{"kev_2022-01-18.json", "2021.01.18", "2022-01-18T14:38:06.066Z", 5, func(t *testing.T, k *intel.KEV) {
			e, ok := k.Lookup("cve-2019-10149")
			if !ok {
				t.Fatal("CVE-2019-10149 not found")
			}
			if e.Product != "Mail Transfer Agent (MTA)" {
				t.Errorf("product %q: want the trailing space trimmed", e.Product)
			}
			if e.Ransomware != "" || e.CWEs != nil {
				t.Errorf("2022 catalog has no ransomware or cwes, got %q %v", e.Ransomware, e.CWEs)
			}
			if !e.DueDate.Equal(date("2022-07-10")) {
				t.Errorf("due %v", e.DueDate)
			}
		}},
		{"kev_2025-02-25_crlf.json", "2025.02.25", "2025-02-25T20:33:53.3676Z", 3, func(t *testing.T, k *intel.KEV) {
			e, _ := k.Lookup("CVE-2024-57727")
			if e.VendorProject != "SimpleHelp" || e.Ransomware != "Unknown" || len(e.CWEs) != 1 || e.CWEs[0] != "CWE-22" {
				t.Errorf("entry %+v", e)
			}
		}},
		{"kev_2025-09-30_compact.json", "2025.09.30", "2025-09-30T12:35:25.4401Z", 3, func(t *testing.T, k *intel.KEV) {
			e, _ := k.Lookup("CVE-2025-48543")
			if e.CWEs == nil || len(e.CWEs) != 0 {
				t.Errorf("cwes %#v: want an empty, non-nil list", e.CWEs)
			}
			e, _ = k.Lookup("CVE-2025-10035")
			if strings.Join(e.CWEs, ",") != "CWE-502,CWE-77" {
				t.Errorf("cwes %v", e.CWEs)
			}
		}},
		{"kev_2025-02_current.csv", "", "", 4, func(t *testing.T, k *intel.KEV) {
			e, _ := k.Lookup("CVE-2018-19410")
			if e.CWEs == nil || len(e.CWEs) != 0 {
				t.Errorf("empty cwes cell: got %#v", e.CWEs)
			}
			e, _ = k.Lookup("CVE-2024-53104")
			if e.VendorProject != "Linux" || e.Product != "Kernel" || !e.DateAdded.Equal(date("2025-02-05")) {
				t.Errorf("entry %+v", e)
			}
		}},
		{"kev_2021-11_spreadsheet.csv", "", "", 4, func(t *testing.T, k *intel.KEV) {
			e, _ := k.Lookup("CVE-2019-0211")
			if !e.DateAdded.Equal(date("2021-11-03")) || !e.DueDate.Equal(date("2022-05-03")) {
				t.Errorf("dates %v %v", e.DateAdded, e.DueDate)
			}
			if e.CWEs != nil || e.Ransomware != "" {
				t.Errorf("eight-column CSV has no cwes or ransomware: %+v", e)
			}
			e, _ = k.Lookup("CVE-2019-2215")
			if e.Name != `Android "AbstractEmu" Root Access Vulnerabilities` {
				t.Errorf("name %q", e.Name)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			k := readKEVFile(t, tc.file)
			if k.Version != tc.version {
				t.Errorf("version %q, want %q", k.Version, tc.version)
			}
			var want time.Time
			if tc.released != "" {
				want, _ = time.Parse(time.RFC3339, tc.released)
			}
			if !k.Released.Equal(want) {
				t.Errorf("released %v, want %v", k.Released, want)
			}
			if len(k.Entries) != tc.n {
				t.Fatalf("%d entries, want %d", len(k.Entries), tc.n)
			}
			tc.check(t, k)
			golden(t, filepath.Join("testdata", "golden", tc.file+".golden"), k.Entries)
		})
	}
}

func golden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what was read; run go test -update and review the diff:\n%s", path, got)
	}
}

func TestReadKEVErrors(t *testing.T) {
	entry := `{"cveID": "%s", "vendorProject": "Apache", "product": "HTTP Server", "dateAdded": "%s", "dueDate": "2021-11-17"}`
	obj := func(entries ...string) string {
		return "{\n\"catalogVersion\": \"2025.01.01\",\n\"vulnerabilities\": [\n" + strings.Join(entries, ",\n") + "\n]\n}\n"
	}
	mk := func(cve, added string) string {
		return strings.Replace(strings.Replace(entry, "%s", cve, 1), "%s", added, 1)
	}
	tests := []struct {
		name   string
		input  string
		want   []string // substrings of the error
		format bool     // errors.Is(err, ErrFormat)
	}{
		{"bad date", obj(mk("CVE-2021-41773", "2021-11-03"), mk("CVE-2021-42013", "03/11/21")),
			[]string{"cat.json:5", "field dateAdded", "want a date as YYYY-MM-DD", `"03/11/21"`}, false},
		{"bad cve", obj(mk("CVE-21-1", "2021-11-03")), []string{"cat.json:4", "field cveID", "want CVE-YYYY-NNNN"}, false},
		{"cwes not a list", obj(`{"cveID": "CVE-2021-41773", "dateAdded": "2021-11-03", "cwes": "CWE-22"}`),
			[]string{"cat.json:4", "field cwes", "want a JSON []string"}, false},
		{"truncated", obj(mk("CVE-2021-41773", "2021-11-03"))[:80], []string{"cat.json:", "ends early"}, false},
		{"syntax", "{\n\"vulnerabilities\": [\n{\"cveID\": \"CVE-2021-41773\",, }]}", []string{"cat.json:3", "invalid JSON"}, false},
		{"not a catalog", `{"hello": "world"}`, []string{"field vulnerabilities", "want a CISA KEV catalog"}, true},
		{"bad release time", `{"dateReleased": "yesterday", "vulnerabilities": []}`, []string{"field dateReleased", "RFC 3339"}, false},
		{"empty", "  \n", []string{"empty file"}, true},
		{"csv without cveID", "cve,vendor\nCVE-2021-41773,Apache\n", []string{"cat.json:1", "field cveID", "header lacks cveID"}, true},
		{"csv short row", "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate\nCVE-2021-41773,Apache\n",
			[]string{"cat.json:2", "want 8 fields as in the header, got 2"}, false},
		{"csv bad due date", "cveID,dateAdded,dueDate\r\nCVE-2021-41773,2021-11-03,2021-11-03\r\nCVE-2021-42013,2021-11-03,soon\r\n",
			[]string{"cat.json:3", "field dueDate", `"soon"`}, false},
		{"csv bad quote", "cveID,dateAdded\nCVE-2021-41773,\"2021-11-03\nx", []string{"cat.json:", "invalid CSV"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := intel.ReadKEV("cat.json", strings.NewReader(tc.input))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var pe *intel.ParseError
			if !errors.As(err, &pe) || pe.File != "cat.json" {
				t.Errorf("error %v is not a *ParseError naming the file", err)
			}
			if got := errors.Is(err, intel.ErrFormat); got != tc.format {
				t.Errorf("errors.Is(ErrFormat) = %v, want %v", got, tc.format)
			}
		})
	}
}

func TestReadKEVBOM(t *testing.T) {
	data, err := os.ReadFile("testdata/kev_2025-02_current.csv")
	if err != nil {
		t.Fatal(err)
	}
	k, err := intel.ReadKEV("bom.csv", bytes.NewReader(append([]byte("\xef\xbb\xbf"), data...)))
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Entries) != 4 || k.Entries[0].CVE != "CVE-2024-53104" {
		t.Errorf("entries %+v", k.Entries)
	}
}

func FuzzReadKEV(f *testing.F) {
	for _, name := range []string{"kev_2022-01-18.json", "kev_2025-02-25_crlf.json", "kev_2025-09-30_compact.json",
		"kev_2025-02_current.csv", "kev_2021-11_spreadsheet.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"vulnerabilities": [{"cveID": "CVE-2021-41773", "dateAdded": "2021-11-03", "cwes": null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := intel.ReadKEV("fuzz", bytes.NewReader(data))
		if err != nil {
			var pe *intel.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		for _, e := range k.Entries {
			if got, ok := k.Lookup(e.CVE); !ok || got.CVE != e.CVE {
				t.Fatalf("entry %s not found by Lookup", e.CVE)
			}
			if e.DateAdded.IsZero() {
				t.Fatalf("entry %s without dateAdded accepted", e.CVE)
			}
		}
		k.Match([]string{"cpe:/a:apache:http_server:2.4.49"}, "Apache httpd", "2.4.49")
	})
}
