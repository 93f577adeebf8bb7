package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/ingest"
	"github.com/riskmap/riskmap/models"
)

// TestModelCommands drives features, train, models, score --explain, findings, diff and
// report through the CLI on a workspace holding simulated history.
func TestModelCommands(t *testing.T) {
	if err := models.InitRuntime(); err != nil {
		t.Fatalf("%v: run make setup", err)
	}
	ws := t.TempDir()
	s, _ := datasets.Open(ws, nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	cfg := estate.DefaultConfig()
	cfg.Hosts, cfg.Seed = 120, 9
	e, err := ingest.Simulate(context.Background(), w, cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	asset := e.Instances[0].ID

	mustJSON := func(args ...string) any {
		t.Helper()
		code, out, errOut := run(t, ws, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var v any
		dec := json.NewDecoder(strings.NewReader(out))
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%v: output is not JSON: %v\n%s", args, err, out)
		}
		return v
	}
	spec := mustJSON("features", "describe", "--json").(map[string]any)
	if n := len(spec["features"].([]any)); n < 40 {
		t.Fatalf("features describe lists %d features, want at least 40", n)
	}
	trained := mustJSON("train", "risk", "--algo", "logreg", "--json").(map[string]any)
	card := trained["card"].(map[string]any)
	if card["algo"] != "logreg" || card["held_out"] == "" {
		t.Fatalf("train card %v", card)
	}
	if list := mustJSON("models", "list", "--json").([]any); len(list) == 0 {
		t.Fatal("models list is empty after train")
	}
	ex := mustJSON("score", "--explain", asset, "--json", "--as-of", e.Time.Add(2*3600e9).Format("2006-01-02T15:04:05Z")).(map[string]any)
	if len(ex["contributions"].([]any)) == 0 {
		t.Fatalf("score --explain %s gave no contributions: %v", asset, ex)
	}
	if code, _, errOut := run(t, ws, "score", "--explain", "no-such-asset"); code != exitFail || !strings.Contains(errOut, "no-such-asset") {
		t.Fatalf("explaining an unknown asset: exit %d, %s", code, errOut)
	}
	// A logistic regression runs on onnxruntime, says why, and cannot be forced onto the native
	// tree evaluator.
	logreg := fmt.Sprintf("risk@%v", card["version"])
	if code, out, errOut := run(t, ws, "score", "--top", "1", "--model", logreg); code != exitOK || !strings.Contains(out, "(onnxruntime)") || !strings.Contains(out, "the risk model runs on onnxruntime: ") {
		t.Fatalf("score with a logistic risk model: exit %d, %q %s", code, out, errOut)
	}
	if code, _, errOut := run(t, ws, "score", "--engine", "native", "--model", logreg); code != exitFail || !strings.Contains(errOut, "engine native: not compilable for the native tree evaluator") {
		t.Fatalf("score --engine native with a logistic risk model: exit %d, %s", code, errOut)
	}
	if code, _, errOut := run(t, ws, "score", "--engine", "gpu"); code == exitOK || !strings.Contains(errOut, "--engine") {
		t.Fatalf("score --engine gpu: exit %d, %s", code, errOut)
	}
	if code, out, _ := run(t, ws, "findings", "--min-severity", "high", "--json"); code != exitOK || !strings.Contains(out, "\"severity\":\"") {
		t.Fatalf("findings: exit %d %q", code, out)
	}
	if code, out, _ := run(t, ws, "diff", "--json"); code != exitOK {
		t.Fatalf("diff: exit %d %q", code, out)
	}
	report := filepath.Join(t.TempDir(), "report.html")
	if code, _, errOut := run(t, ws, "report", "-o", report); code != exitOK {
		t.Fatalf("report: %s", errOut)
	}
	checkReport(t, report)
}

// checkReport parses the report strictly as XML (it is written as XHTML): well-formed, with
// inline SVG charts, and nothing that would fetch from a network.
func checkReport(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(bytes.Replace(b, []byte("<!DOCTYPE html>"), nil, 1)))
	dec.Strict = true
	svgs := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("report is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local == "svg" {
				svgs++
			}
			for _, a := range se.Attr {
				if (a.Name.Local == "src" || a.Name.Local == "href") && strings.Contains(a.Value, "://") {
					t.Fatalf("report fetches %s", a.Value)
				}
			}
			if se.Name.Local == "script" || se.Name.Local == "link" {
				t.Fatalf("report has a <%s> element", se.Name.Local)
			}
		}
	}
	if svgs < 2 {
		t.Fatalf("report has %d inline SVG charts, want several", svgs)
	}
	for _, want := range []string{"<h2>Map</h2>", "<h2>Findings to act on</h2>", "<h2>Changes over time</h2>", `class="tick"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("report lacks %s", want)
		}
	}
}
