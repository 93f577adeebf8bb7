package inventory_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/riskmap/riskmap/features/inventory"
)

// TestCounts checks the shape each fixture is recognised as, and how many assets and ingress
// rule entries (rule x source) it holds, counted by hand from the fixtures.
func TestCounts(t *testing.T) {
	cases := []struct {
		file   string
		shape  string
		assets int
		rules  int
		warns  int
	}{
		{"aws/describe-instances-v1.json", "aws describe-instances v1", 3, 0, 0},
		{"aws/describe-instances-v2.json", "aws describe-instances v2", 3, 0, 0},
		// web 2+2+1, ssh 1, db 2, rdp 2+1, batch-all 2, wide-open 3, dns 2+2+1+1+1+1+1
		{"aws/describe-security-groups.json", "aws describe-security-groups", 0, 25, 0},
		{"azure/vm-list-d.json", "az vm list -d", 4, 0, 0},
		{"azure/vm-list.json", "az vm list", 1, 0, 1},
		// inbound rules x sources, three inbound defaults per NSG: 2+3, 4+3, 8+3, 2+3, 1+3
		{"azure/nsg-list.json", "az network nsg list", 0, 32, 0},
		{"azure/nic-list.json", "az network nic list", 0, 0, 0},
		{"gcp/instances-gcloud.json", "gcloud compute instances list", 3, 0, 0},
		{"gcp/instances-api.json", "gcp compute instances list (API)", 1, 0, 0},
		{"gcp/instances-aggregated.json", "gcp compute instances aggregatedList", 1, 0, 0},
		// ingress only, disabled included: allowed/denied entries x sources
		{"gcp/firewall-rules-gcloud.json", "gcloud compute firewall-rules list", 0, 22, 0},
		{"gcp/firewalls-api.json", "gcp compute firewall-rules list (API)", 0, 4, 0},
		{"csv/assets.csv", "csv", 5, 13, 0},
		{"jsonl/assets.jsonl", "jsonl", 4, 7, 1},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			im := inventory.Importer{SnapshotTime: snapshot}
			sum, err := im.Add(tc.file, data)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Shape != tc.shape || sum.Assets != tc.assets || sum.Rules != tc.rules || len(sum.Warnings) != tc.warns {
				t.Errorf("got shape %q, %d assets, %d rules, %d warnings %q; want %q, %d, %d, %d",
					sum.Shape, sum.Assets, sum.Rules, len(sum.Warnings), sum.Warnings, tc.shape, tc.assets, tc.rules, tc.warns)
			}
			if sum.File != tc.file {
				t.Errorf("summary names %q, want %q", sum.File, tc.file)
			}
		})
	}
}
