package inventory_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/inventory"
)

func TestWarnings(t *testing.T) {
	cases := []struct {
		provider string
		want     [][]string // each warning must contain all of these
	}{
		{"aws", [][]string{{"i-0f9e8d7c6b5a40005", "sg-0b22beef00000099", "no file described"}}},
		{"azure", [][]string{
			{"5a3e7b9c-1d2f-4e6a-8b0c-9d1e2f3a4b04", "no NSG"},
			{"5a3e7b9c-1d2f-4e6a-8b0c-9d1e2f3a4b07", "batch-nsg", "no file described"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.provider, func(t *testing.T) {
			i := slices.IndexFunc(providerCases, func(p providerCase) bool { return p.name == tc.provider })
			res := importFiles(t, tc.provider, providerCases[i].files)
			if len(res.Warnings) != len(tc.want) {
				t.Errorf("got %d warnings %q, want %d", len(res.Warnings), res.Warnings, len(tc.want))
			}
			for _, parts := range tc.want {
				found := slices.ContainsFunc(res.Warnings, func(w string) bool {
					for _, p := range parts {
						if !strings.Contains(w, p) {
							return false
						}
					}
					return true
				})
				if !found {
					t.Errorf("no warning mentions all of %q in %q", parts, res.Warnings)
				}
			}
		})
	}
}

func TestMissingRuleFiles(t *testing.T) {
	cases := []struct {
		name, file, want string
	}{
		{"aws", "testdata/aws/describe-instances-v1.json", "no aws ec2 describe-security-groups file"},
		{"azure", "testdata/azure/vm-list-d.json", "no az network nsg list file"},
		{"gcp", "testdata/gcp/instances-gcloud.json", "no GCP firewall-rules file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			im := inventory.Importer{SnapshotTime: snapshot}
			if _, err := im.Add(tc.file, mustRead(t, tc.file)); err != nil {
				t.Fatal(err)
			}
			_, warns, err := im.Assets()
			if err != nil {
				t.Fatal(err)
			}
			if len(warns) != 1 || !strings.Contains(warns[0], tc.want) {
				t.Errorf("warnings %q, want one containing %q", warns, tc.want)
			}
		})
	}
}

// TestMovedIP checks that assets are keyed by their instance id: when an elastic IP moves from
// one instance to another between snapshots, each instance keeps its own id and the address
// follows the instance that holds it now.
func TestMovedIP(t *testing.T) {
	snap := func(holder string) []riskmap.Asset {
		doc := `{"Reservations":[{"OwnerId":"111122223333","Instances":[
			{"InstanceId":"i-aaaa","PrivateIpAddress":"10.0.0.1"` + pub(holder == "i-aaaa") + `},
			{"InstanceId":"i-bbbb","PrivateIpAddress":"10.0.0.2"` + pub(holder == "i-bbbb") + `}]}]}`
		im := inventory.Importer{Provider: "aws", SnapshotTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
		if _, err := im.Add("instances.json", []byte(doc)); err != nil {
			t.Fatal(err)
		}
		assets, _, err := im.Assets()
		if err != nil {
			t.Fatal(err)
		}
		return assets
	}
	holderOf := func(assets []riskmap.Asset) string {
		for _, a := range assets {
			if slices.Contains(a.PublicIPs, "54.1.2.3") {
				return a.ID
			}
		}
		return ""
	}
	before, after := snap("i-aaaa"), snap("i-bbbb")
	if holderOf(before) != "i-aaaa" || holderOf(after) != "i-bbbb" {
		t.Errorf("54.1.2.3 held by %q then %q, want i-aaaa then i-bbbb", holderOf(before), holderOf(after))
	}
	for i := range before {
		if before[i].ID != after[i].ID || !slices.Equal(before[i].PrivateIPs, after[i].PrivateIPs) {
			t.Errorf("asset %d changed identity: %s %v -> %s %v", i, before[i].ID, before[i].PrivateIPs, after[i].ID, after[i].PrivateIPs)
		}
	}
}

func pub(has bool) string {
	if has {
		return `,"PublicIpAddress":"54.1.2.3"`
	}
	return ""
}

// TestDuplicateAcrossFiles checks that an asset described by two files is kept once, from
// the later file, with a warning.
func TestDuplicateAcrossFiles(t *testing.T) {
	im := inventory.Importer{SnapshotTime: snapshot}
	first := `{"Reservations":[{"Instances":[{"InstanceId":"i-dup","State":{"Code":16,"Name":"running"}}]}]}`
	second := `{"Reservations":[{"Instances":[{"InstanceId":"i-dup","State":{"Code":80,"Name":"stopped"}}]}]}`
	for i, doc := range []string{first, second} {
		if _, err := im.Add([]string{"page1.json", "page2.json"}[i], []byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	assets, warns, err := im.Assets()
	if err != nil {
		t.Fatal(err)
	}
	if len(assets) != 1 || assets[0].State != "stopped" {
		t.Errorf("got %+v, want one asset in state stopped", assets)
	}
	if !slices.ContainsFunc(warns, func(w string) bool { return strings.Contains(w, "i-dup") && strings.Contains(w, "page2.json") }) {
		t.Errorf("no warning about i-dup in %q", warns)
	}
}

// TestAssetsAreCopies checks that the caller owns what Assets returns: changing it does not
// change what a later call returns.
func TestAssetsAreCopies(t *testing.T) {
	im := inventory.Importer{SnapshotTime: snapshot}
	for _, f := range providerCases[0].files {
		if _, err := im.Add(f, mustRead(t, "testdata/"+f)); err != nil {
			t.Fatal(err)
		}
	}
	first, _, err := im.Assets()
	if err != nil {
		t.Fatal(err)
	}
	want := first[0].PrivateIPs[0]
	first[0].PrivateIPs[0] = "192.0.2.99"
	first[0].Exposed[0].Source = "changed"
	first[0].Tags[0].Value = "changed"
	second, _, err := im.Assets()
	if err != nil {
		t.Fatal(err)
	}
	if second[0].PrivateIPs[0] != want || second[0].Exposed[0].Source == "changed" || second[0].Tags[0].Value == "changed" {
		t.Errorf("a change to returned assets leaked into the importer: %+v", second[0])
	}
}
