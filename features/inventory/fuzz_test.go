package inventory_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/inventory"
)

// seed adds every fixture under testdata/dir to the corpus.
func seed(f *testing.F, dir string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata/%s: %v", dir, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// importOne adds data and resolves it, checking what must hold for any input: errors are
// *ParseErrors naming the file; assets are sorted by unique id and well formed.
func importOne(t *testing.T, provider, name string, data []byte) ([]riskmap.Asset, bool) {
	t.Helper()
	im := inventory.Importer{Provider: provider, SnapshotTime: snapshot}
	if _, err := im.Add(name, data); err != nil {
		var pe *inventory.ParseError
		if !errors.As(err, &pe) || pe.File != name {
			t.Fatalf("error %q is not a *ParseError naming %s", err, name)
		}
		return nil, false
	}
	assets, _, err := im.Assets()
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range assets {
		if a.ID == "" || (i > 0 && assets[i-1].ID >= a.ID) {
			t.Fatalf("asset %d id %q: ids must be non-empty, unique and sorted", i, a.ID)
		}
		if !slices.IsSorted(a.InternetExposedPorts) || len(a.InternetExposedPorts) > 1024 {
			t.Fatalf("asset %s: bad internet ports %v", a.ID, a.InternetExposedPorts)
		}
		for _, e := range a.Exposed {
			if e.FromPort < 0 || e.ToPort > 65535 || e.FromPort > e.ToPort || e.Proto == "" || e.Source == "" {
				t.Fatalf("asset %s: bad exposure %+v", a.ID, e)
			}
		}
	}
	return assets, true
}

func FuzzAWS(f *testing.F) {
	seed(f, "aws")
	f.Fuzz(func(t *testing.T, data []byte) { importOne(t, "aws", "aws.json", data) })
}

func FuzzAzure(f *testing.F) {
	seed(f, "azure")
	f.Fuzz(func(t *testing.T, data []byte) { importOne(t, "azure", "azure.json", data) })
}

func FuzzGCP(f *testing.F) {
	seed(f, "gcp")
	seed(f, "gcpeffective")
	f.Fuzz(func(t *testing.T, data []byte) { importOne(t, "gcp", "gcp.json", data) })
}

// FuzzGCPEffective fuzzes the second file of a GCP import, after fixed instances, so that
// firewall rules and policies in any shape (effective firewalls, firewall lists, empty
// lists) are applied to instances: never a panic, errors name the file and field.
func FuzzGCPEffective(f *testing.F) {
	seed(f, "gcpeffective")
	f.Add([]byte(`{"firewallPolicys": [{"name": "p", "type": "HIERARCHY", "rules": [{"priority": 1, "action": "goto_next", "match": {"srcIpRanges": ["0.0.0.0/0"], "layer4Configs": [{"ipProtocol": "all"}]}}]}]}`))
	f.Add([]byte(`{"kind": "compute#firewallList", "id": "x"}`))
	instances, err := os.ReadFile(filepath.Join("testdata", "gcpeffective", "instances.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		im := inventory.Importer{Provider: "gcp", SnapshotTime: snapshot}
		if _, err := im.Add("instances.json", instances); err != nil {
			t.Fatal(err)
		}
		if _, err := im.Add("fw.json", data); err != nil {
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || pe.File != "fw.json" {
				t.Fatalf("error %q is not a *ParseError naming fw.json", err)
			}
			return
		}
		assets, _, err := im.Assets()
		if err != nil {
			t.Fatal(err)
		}
		if len(assets) != 3 {
			t.Fatalf("%d assets, want the 3 instances", len(assets))
		}
		for _, a := range assets {
			for _, e := range a.Exposed {
				if e.FromPort < 0 || e.ToPort > 65535 || e.FromPort > e.ToPort || e.Proto == "" || e.Source == "" {
					t.Fatalf("asset %s: bad exposure %+v", a.ID, e)
				}
			}
		}
	})
}

// FuzzCSV also checks the round trip: what WriteCSV writes reads back as the same assets.
func FuzzCSV(f *testing.F) {
	seed(f, "csv")
	f.Add([]byte("asset_id,tags,dns_names\n\"a\",\"k=\\;v\\\\;x\\==y\",\"\\ b;c\\\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		assets, ok := importOne(t, "csv", "in.csv", data)
		if !ok {
			return
		}
		var buf bytes.Buffer
		if err := inventory.WriteCSV(&buf, assets); err != nil {
			t.Fatal(err)
		}
		again, ok := importOne(t, "csv", "out.csv", buf.Bytes())
		if !ok {
			t.Fatalf("WriteCSV output does not read back:\n%s", buf.Bytes())
		}
		if !reflect.DeepEqual(assets, again) {
			t.Fatalf("round trip changed the assets:\n%+v\n%+v\nvia\n%s", assets, again, buf.Bytes())
		}
	})
}

// FuzzJSONL also checks the round trip through WriteJSONL.
func FuzzJSONL(f *testing.F) {
	seed(f, "jsonl")
	f.Fuzz(func(t *testing.T, data []byte) {
		assets, ok := importOne(t, "jsonl", "in.jsonl", data)
		if !ok {
			return
		}
		var buf bytes.Buffer
		if err := inventory.WriteJSONL(&buf, assets); err != nil {
			t.Fatal(err)
		}
		again, ok := importOne(t, "jsonl", "out.jsonl", buf.Bytes())
		if !ok {
			t.Fatalf("WriteJSONL output does not read back:\n%s", buf.Bytes())
		}
		if !reflect.DeepEqual(assets, again) {
			t.Fatalf("round trip changed the assets:\n%+v\n%+v\nvia\n%s", assets, again, buf.Bytes())
		}
	})
}
