package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/datasets/duckdb"
)

const (
	nmapFixtures = "../../features/nmapxml/testdata"
	invFixtures  = "../../features/inventory/testdata"
)

func TestUsageAndHelp(t *testing.T) {
	ws := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"no command", nil, exitUsage, ""},
		{"unknown command", []string{"frobnicate"}, exitUsage, ""},
		{"help", []string{"--help"}, exitOK, "Commands:"},
		{"ingest help", []string{"ingest", "--help"}, exitOK, "ingest nmap"},
		{"ingest nmap help", []string{"ingest", "nmap", "--help"}, exitOK, "--json"},
		{"tables help", []string{"tables", "--help"}, exitOK, "workspace DIR"},
		{"export help", []string{"export", "--help"}, exitOK, "--format"},
		{"ingest nothing", []string{"ingest", "nmap"}, exitUsage, ""},
		{"bad provider", []string{"ingest", "inventory", "--provider", "oracle", "x"}, exitUsage, ""},
		{"bad flag", []string{"tables", "--nope"}, exitUsage, ""},
		{"export unknown table", []string{"export", "nope"}, exitUsage, ""},
		{"export bad format", []string{"export", "scans", "--format", "xls"}, exitUsage, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, ws, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.out) {
				t.Fatalf("stdout lacks %q:\n%s", tc.out, out)
			}
		})
	}
}

func TestIngestNmapJSON(t *testing.T) {
	ws := t.TempDir()
	code, out, errOut := run(t, ws, "ingest", "nmap", "--json", nmapFixtures+"/generated", nmapFixtures+"/real")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 10 {
		t.Fatalf("want one JSON object per input, got %d lines", len(lines))
	}
	incomplete := 0
	for _, l := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		for _, k := range []string{"file", "scan_id", "hosts_up", "hosts_down", "ports_open", "complete", "warnings"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("object lacks %q: %s", k, l)
			}
		}
		if r["complete"] == false {
			incomplete++
		}
	}
	if incomplete == 0 {
		t.Fatal("the truncated fixtures were not reported incomplete")
	}
	// Same input again: nothing changes.
	before := tablesJSON(t, ws)
	if code, _, errOut := run(t, ws, "ingest", "nmap", nmapFixtures+"/generated", nmapFixtures+"/real"); code != exitOK {
		t.Fatalf("second ingest: exit %d: %s", code, errOut)
	}
	if after := tablesJSON(t, ws); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("ingesting twice changed the tables:\n%v\n%v", before, after)
	}
	// An independent reader agrees with riskmap tables.
	for table, rows := range before {
		if rows == 0 {
			continue
		}
		glob := filepath.Join(ws, "tables", table, "**", "*.parquet")
		res, err := duckdb.Query(context.Background(), "select count(*)::BIGINT as n from read_parquet("+duckdb.Quote(glob)+", hive_partitioning=true, union_by_name=true)")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(res[0]["n"]) != fmt.Sprint(rows) {
			t.Errorf("table %s: duckdb counts %v rows, riskmap tables %d", table, res[0]["n"], rows)
		}
	}
}

func tablesJSON(t *testing.T, ws string) map[string]int64 {
	t.Helper()
	code, out, errOut := run(t, ws, "tables", "--json")
	if code != exitOK {
		t.Fatalf("tables: %s", errOut)
	}
	var infos []struct {
		Table string `json:"table"`
		Rows  int64  `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &infos); err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, i := range infos {
		m[i.Table] = i.Rows
	}
	return m
}

func TestIngestRefusesBadFiles(t *testing.T) {
	ws := t.TempDir()
	dir := t.TempDir()
	bad := map[string]string{
		"html.xml":   "<html><body>not nmap</body></html>",
		"entity.xml": `<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file:///etc/passwd">]><nmaprun>&x;</nmaprun>`,
		"empty.xml":  "",
	}
	for name, body := range bad {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	code, out, _ := run(t, ws, "ingest", "nmap", "--json", dir)
	if code != exitFail {
		t.Fatalf("exit %d, want 1 when inputs are refused", code)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct{ File, Error string }
		json.Unmarshal([]byte(l), &r)
		if r.Error == "" || !strings.Contains(r.Error, filepath.Base(r.File)) || strings.Contains(r.Error, "\n") {
			t.Errorf("refusal of %s should be one line naming the file: %q", r.File, r.Error)
		}
	}
	if rows := tablesJSON(t, ws); rows["scans"] != 0 || rows["observations"] != 0 {
		t.Fatalf("refused input wrote rows: %v", rows)
	}
	if raw, _ := os.ReadDir(filepath.Join(ws, "raw", "nmap")); len(raw) != 0 {
		t.Fatalf("refused input left raw files: %d", len(raw))
	}
}

func TestIngestInventory(t *testing.T) {
	for _, tc := range []struct {
		provider string
		files    []string
	}{
		{"aws", []string{"aws/describe-instances-v2.json", "aws/describe-security-groups.json"}},
		{"azure", []string{"azure/vm-list-d.json", "azure/nsg-list.json", "azure/nic-list.json"}},
		{"gcp", []string{"gcp/instances-gcloud.json", "gcp/firewall-rules-gcloud.json"}},
		{"csv", []string{"csv/assets.csv"}},
		{"jsonl", []string{"jsonl/assets.jsonl"}},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			ws := t.TempDir()
			args := []string{"ingest", "inventory", "--provider", tc.provider, "--json"}
			for _, f := range tc.files {
				args = append(args, filepath.Join(invFixtures, f))
			}
			code, out, errOut := run(t, ws, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s %s", code, out, errOut)
			}
			assets := 0
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				var r struct {
					Assets int
					Rules  int
					Error  string
				}
				if err := json.Unmarshal([]byte(l), &r); err != nil || r.Error != "" {
					t.Fatalf("line %q: %v %s", l, err, r.Error)
				}
				assets += r.Assets
			}
			rows := tablesJSON(t, ws)
			if rows["assets"] == 0 || int64(assets) < rows["assets"] {
				t.Fatalf("assets table has %d rows, files reported %d assets", rows["assets"], assets)
			}
			// Importing the same files again changes nothing.
			run(t, ws, args...)
			if again := tablesJSON(t, ws); again["assets"] != rows["assets"] {
				t.Fatalf("second import changed assets: %d -> %d", rows["assets"], again["assets"])
			}
		})
	}
}

func TestExportFormats(t *testing.T) {
	ws := t.TempDir()
	if code, _, errOut := run(t, ws, "ingest", "nmap", nmapFixtures+"/real"); code != exitOK {
		t.Fatal(errOut)
	}
	want := tablesJSON(t, ws)["observations"]
	dir := t.TempDir()
	for _, format := range []string{"parquet", "arrow", "csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			path := filepath.Join(dir, "obs."+format)
			if code, _, errOut := run(t, ws, "export", "observations", "--format", format, "-o", path); code != exitOK {
				t.Fatal(errOut)
			}
			var sql string
			switch format {
			case "parquet":
				sql = "select count(*)::BIGINT as n from read_parquet(" + duckdb.Quote(path) + ")"
			case "csv":
				sql = "select count(*)::BIGINT as n from read_csv(" + duckdb.Quote(path) + ", header=true)"
			case "jsonl":
				sql = "select count(*)::BIGINT as n from read_json(" + duckdb.Quote(path) + ", format='newline_delimited')"
			case "arrow":
				b, _ := os.ReadFile(path)
				if len(b) < 12 || string(b[:6]) != "ARROW1" {
					t.Fatalf("not an Arrow IPC file")
				}
				return
			}
			res, err := duckdb.Query(context.Background(), sql)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(res[0]["n"]) != fmt.Sprint(want) {
				t.Fatalf("%s export has %v rows, want %d", format, res[0]["n"], want)
			}
		})
	}
}

// TestSampleData writes the bundled sample data and runs the commands its help suggests.
func TestSampleData(t *testing.T) {
	ws, dir := t.TempDir(), t.TempDir()
	steps := [][]string{
		{"sample", dir},
		{"ingest", "inventory", "--provider", "aws", filepath.Join(dir, "inventory", "aws")},
		{"intel", "import", "kev", filepath.Join(dir, "intel", "known_exploited_vulnerabilities.json")},
		{"intel", "import", "epss", filepath.Join(dir, "intel", "epss_scores-2025-06-01.csv.gz")},
		{"ingest", "nmap", filepath.Join(dir, "nmap"), filepath.Join(dir, "diff")},
		{"findings"},
		{"diff", filepath.Join(dir, "diff", "before.xml"), filepath.Join(dir, "diff", "after.xml")},
	}
	for _, args := range steps {
		if code, _, errOut := run(t, ws, args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
	}
	rows := tablesJSON(t, ws)
	for _, table := range []string{"assets", "scans", "observations", "kev", "epss", "findings"} {
		if rows[table] == 0 {
			t.Errorf("table %s empty after ingesting the sample: %v", table, rows)
		}
	}
}
