package scanner_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/riskmap/riskmap/datasets/lab/netns"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestMain runs the package in a private network namespace with only lo up, so that the
// end-to-end tests that start real nmap can touch nothing but listeners they started.
func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update if the change is right)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
