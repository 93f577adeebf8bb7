package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/datasets/lab/netns"
)

// TestDemoSmall runs the main job on a small lab in the test's private namespace: the same
// code path as make demo, with fewer hosts and cycles.
func TestDemoSmall(t *testing.T) {
	netns.Require(t)
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errOut := run(t, t.TempDir(), "demo", "--dir", dir, "--hosts", "16", "--cycles", "2", "--seed", "3")
	if code != exitOK {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"== Top risks", "== Checked by NSE", "== What changed", "== Alerts fired", "== Probes against uniform sweeps", "HTML report:"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo summary lacks %q:\n%s", want, out)
		}
	}
	checkReport(t, filepath.Join(dir, "report.html"))
	// A second run empties its own directory; a directory it did not make is refused.
	if code, _, errOut := run(t, t.TempDir(), "demo", "--dir", t.TempDir(), "--hosts", "4", "--cycles", "1"); code != exitOK {
		t.Fatalf("demo in an empty directory: %s", errOut)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "precious.txt"), []byte("x"), 0o644)
	if code, _, errOut := run(t, t.TempDir(), "demo", "--dir", other, "--hosts", "4", "--cycles", "1"); code == exitOK || !strings.Contains(errOut, "not made by the demo") {
		t.Fatalf("demo over a foreign directory: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(other, "precious.txt")); err != nil {
		t.Fatalf("the demo deleted a directory it did not make: %v", err)
	}
}

func TestLabExport(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := run(t, t.TempDir(), "lab", "export", "--hosts", "10", "--epoch", "2", "-o", dir); code != exitOK {
		t.Fatal(errOut)
	}
	ws := t.TempDir()
	if code, _, errOut := run(t, ws, "ingest", "inventory", "--provider", "aws", dir); code != exitOK {
		t.Fatalf("the lab's export does not ingest: %s", errOut)
	}
	if rows := tablesJSON(t, ws); rows["assets"] < 10 {
		t.Fatalf("assets from the lab export: %d", rows["assets"])
	}
}
