package inventory_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/inventory"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var snapshot = time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC)

type providerCase struct {
	name     string
	provider string // Importer.Provider
	files    []string
}

// providerCases are the fixtures of each provider, in the order a user would likely give them.
var providerCases = []providerCase{
	{"aws", "aws", []string{"aws/describe-instances-v1.json", "aws/describe-instances-v2.json", "aws/describe-security-groups.json"}},
	{"azure", "azure", []string{"azure/vm-list-d.json", "azure/vm-list.json", "azure/nsg-list.json", "azure/nic-list.json"}},
	{"gcp", "gcp", []string{"gcp/instances-gcloud.json", "gcp/instances-api.json", "gcp/instances-aggregated.json",
		"gcp/firewall-rules-gcloud.json", "gcp/firewalls-api.json"}},
	{"csv", "", []string{"csv/assets.csv"}},
	{"jsonl", "", []string{"jsonl/assets.jsonl"}},
}

type result struct {
	Files    []inventory.FileSummary
	Assets   []riskmap.Asset
	Warnings []string
}

func importFiles(t *testing.T, provider string, files []string) result {
	t.Helper()
	im := inventory.Importer{Provider: provider, SnapshotTime: snapshot}
	var res result
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := im.Add(f, data)
		if err != nil {
			t.Fatalf("add %s: %v", f, err)
		}
		res.Files = append(res.Files, sum)
	}
	assets, warns, err := im.Assets()
	if err != nil {
		t.Fatalf("assets: %v", err)
	}
	res.Assets, res.Warnings = assets, warns
	return res
}

func TestGolden(t *testing.T) {
	for _, tc := range providerCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.MarshalIndent(importFiles(t, tc.provider, tc.files), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", tc.name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the import; run go test -update and review the diff", path)
			}
		})
	}
}

// TestFileOrder checks that rules added before or after the instances give the same assets.
func TestFileOrder(t *testing.T) {
	for _, tc := range providerCases {
		t.Run(tc.name, func(t *testing.T) {
			forward := importFiles(t, tc.provider, tc.files)
			rev := slices.Clone(tc.files)
			slices.Reverse(rev)
			backward := importFiles(t, tc.provider, rev)
			a, _ := json.Marshal(forward.Assets)
			b, _ := json.Marshal(backward.Assets)
			if !bytes.Equal(a, b) {
				t.Errorf("assets differ when files come in reverse order")
			}
			w1, w2 := slices.Sorted(slices.Values(forward.Warnings)), slices.Sorted(slices.Values(backward.Warnings))
			if !slices.Equal(w1, w2) {
				t.Errorf("warnings differ in reverse order:\n%q\n%q", w1, w2)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
