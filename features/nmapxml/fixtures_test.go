package nmapxml_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/features/nmapxml"
)

// fixtureDirs hold nmap XML that Parse must accept: scans of the test's own services by the
// real nmap, files from other projects' test suites, and hand-made edge cases.
var fixtureDirs = []string{"generated", "real", "crafted"}

// fixtures lists the accepted fixtures as dir/name paths under testdata.
func fixtures(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, d := range fixtureDirs {
		files, err := filepath.Glob(filepath.Join("testdata", d, "*.xml"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, files...)
	}
	if len(out) == 0 {
		t.Fatal("no fixtures under testdata")
	}
	return out
}

func TestFixtures(t *testing.T) {
	if *update {
		generateFixtures(t)
	}
	for _, path := range fixtures(t) {
		name := strings.TrimPrefix(filepath.ToSlash(path), "testdata/")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := nmapxml.Parse(raw, nmapxml.Options{Source: filepath.Base(path)})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkConsistent(t, res, nmapxml.Options{})
			checkGolden(t, name, res)
			crossCheck(t, raw, res)
		})
	}
}

// checkGolden compares res, as indented JSON, with testdata/golden/<name>.json.
func checkGolden(t *testing.T, name string, res *nmapxml.Result) {
	t.Helper()
	got, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "golden", strings.TrimSuffix(name, ".xml")+".json")
	if *update || *updateGolden {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./features/nmapxml -run TestFixtures -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("result differs from %s (run with -update if the change is intended):\n%s", golden, firstDiff(string(got), string(want)))
	}
}

// firstDiff shows the first differing line of two texts, with its line number.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return "(no line differs)"
}
