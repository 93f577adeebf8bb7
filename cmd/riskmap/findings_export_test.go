package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestFindingsFormats exports the sample's findings as SARIF and DefectDojo JSON and checks
// both against their schemas (features/findings/testdata/schema).
func TestFindingsFormats(t *testing.T) {
	ws, dir := t.TempDir(), t.TempDir()
	for _, args := range [][]string{
		{"sample", dir},
		{"ingest", "inventory", "--provider", "aws", filepath.Join(dir, "inventory", "aws")},
		{"intel", "import", "kev", filepath.Join(dir, "intel", "known_exploited_vulnerabilities.json")},
		{"ingest", "nmap", filepath.Join(dir, "nmap"), filepath.Join(dir, "diff")},
	} {
		if code, _, errOut := run(t, ws, args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
	}
	for _, c := range []struct{ format, schema, want string }{
		{"sarif", "sarif-2.1.0-subset.json", `"ruleId"`},
		{"defectdojo", "defectdojo-generic.json", `"unique_id_from_tool"`},
	} {
		code, out, errOut := run(t, ws, "findings", "--format", c.format)
		if code != exitOK {
			t.Fatalf("findings --format %s: exit %d: %s", c.format, code, errOut)
		}
		if !strings.Contains(out, c.want) {
			t.Errorf("findings --format %s holds no finding:\n%.400s", c.format, out)
		}
		sch, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "..", "features", "findings", "testdata", "schema", c.schema))
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
		if err != nil {
			t.Fatalf("findings --format %s: not JSON: %v", c.format, err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("findings --format %s: %v", c.format, err)
		}
	}
	if code, _, errOut := run(t, ws, "findings", "--format", "xml"); code != exitUsage || !strings.Contains(errOut, "want table, json, sarif or defectdojo") {
		t.Errorf("--format xml: exit %d, %q; want a usage error", code, errOut)
	}
}
