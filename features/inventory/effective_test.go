package inventory_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/inventory"
)

func readEffective(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "gcpeffective", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestGCPEffectiveFirewalls imports get-effective-firewalls output with the instances and
// checks the evaluation order: hierarchical policy (goto_next, deny for one service account,
// allow), then VPC rules (priority, deny before allow), then the network policy.
func TestGCPEffectiveFirewalls(t *testing.T) {
	im := inventory.Importer{Provider: "gcp", SnapshotTime: snapshot}
	if _, err := im.Add("instances.json", readEffective(t, "instances.json")); err != nil {
		t.Fatal(err)
	}
	sum, err := im.Add("effective-firewalls.json", readEffective(t, "effective-firewalls.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Shape != "gcloud compute networks get-effective-firewalls" || sum.Provider != "gcp" {
		t.Errorf("summary %+v", sum)
	}
	// 4 VPC rules, 1 source each; policy rules: 6 ingress enabled in the org policy, 2 in the network one.
	if sum.Rules != 4+6+2 {
		t.Errorf("Rules = %d, want 12", sum.Rules)
	}
	assets, warns, err := im.Assets()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warns {
		if strings.Contains(w, "exposure of GCP instances is unknown") {
			t.Errorf("warning %q: the effective firewalls were read", w)
		}
	}
	x := func(proto string, from, to int, src string) riskmap.Exposure {
		return riskmap.Exposure{Proto: proto, FromPort: from, ToPort: to, Source: src}
	}
	cases := []struct {
		id       string
		internet []int
		has      []riskmap.Exposure
		hasNot   []riskmap.Exposure
		groups   []string
	}{
		{id: "7001", internet: []int{22, 80, 443, 8443}, has: []riskmap.Exposure{x("tcp", 5432, 5432, "10.0.0.0/8")},
			groups: []string{"org-baseline", "allow-http", "net-policy"}},
		{id: "7002", internet: []int{22}, hasNot: []riskmap.Exposure{x("tcp", 5432, 5432, "10.0.0.0/8"), x("tcp", 8443, 8443, "0.0.0.0/0")}},
		{id: "7003", internet: []int{22, 8443}, hasNot: []riskmap.Exposure{x("tcp", 3389, 3389, "0.0.0.0/0"), x("tcp", 9999, 9999, "0.0.0.0/0")}},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			i := slices.IndexFunc(assets, func(a riskmap.Asset) bool { return a.ID == c.id })
			if i < 0 {
				t.Fatalf("no asset %s", c.id)
			}
			a := assets[i]
			if !slices.Equal(a.InternetExposedPorts, c.internet) {
				t.Errorf("InternetExposedPorts = %v, want %v (exposed %+v)", a.InternetExposedPorts, c.internet, a.Exposed)
			}
			for _, e := range c.has {
				if !slices.Contains(a.Exposed, e) {
					t.Errorf("Exposed %+v lacks %+v", a.Exposed, e)
				}
			}
			for _, e := range c.hasNot {
				for _, got := range a.Exposed {
					if got.Source == e.Source && got.Covers(e.Proto, e.FromPort) {
						t.Errorf("Exposed %+v covers %+v", got, e)
					}
				}
			}
			for _, g := range c.groups {
				if !slices.Contains(a.SecurityGroups, g) {
					t.Errorf("SecurityGroups %v lacks %s", a.SecurityGroups, g)
				}
			}
		})
	}
}

// TestGCPEmptyList: the compute API leaves items out of an empty list; that is a valid,
// empty inventory, not an unknown shape.
func TestGCPEmptyList(t *testing.T) {
	for _, name := range []string{"empty-instance-list.json", "empty-firewall-list.json", "empty-aggregated-list.json"} {
		t.Run(name, func(t *testing.T) {
			im := inventory.Importer{SnapshotTime: snapshot}
			sum, err := im.Add(name, readEffective(t, name))
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			if sum.Provider != "gcp" || sum.Assets != 0 {
				t.Errorf("summary %+v", sum)
			}
			assets, _, err := im.Assets()
			if err != nil || len(assets) != 0 {
				t.Errorf("assets %v, err %v", assets, err)
			}
		})
	}
	// A kind that is no compute list is still an unknown shape.
	im := inventory.Importer{SnapshotTime: snapshot}
	if _, err := im.Add("x.json", []byte(`{"kind": "storage#objects"}`)); !errors.Is(err, inventory.ErrShape) {
		t.Errorf("storage#objects: error %v, want ErrShape", err)
	}
}

// TestGCPEffectiveFirewallsBad: a broken policy rule is refused, naming the field.
func TestGCPEffectiveFirewallsBad(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"unknown action", `{"firewalls": [], "firewallPolicys": [{"name": "p", "type": "HIERARCHY", "rules": [{"priority": 1, "action": "maybe", "direction": "INGRESS", "match": {"srcIpRanges": ["0.0.0.0/0"], "layer4Configs": [{"ipProtocol": "tcp"}]}}]}]}`,
			"firewallPolicys[0].rules[0].action"},
		{"bad source", `{"firewallPolicys": [{"name": "p", "rules": [{"priority": 1, "action": "allow", "match": {"srcIpRanges": ["nowhere"], "layer4Configs": [{"ipProtocol": "tcp"}]}}]}]}`,
			"firewallPolicys[0].rules[0].match.srcIpRanges[0]"},
		{"no priority", `{"firewallPolicys": [{"name": "p", "rules": [{"action": "allow", "match": {"srcIpRanges": ["0.0.0.0/0"], "layer4Configs": [{"ipProtocol": "tcp"}]}}]}]}`,
			"firewallPolicys[0].rules[0].priority"},
		{"bad port", `{"firewalls": [], "firewallPolicys": [{"name": "p", "rules": [{"priority": 5, "action": "deny", "match": {"srcIpRanges": ["0.0.0.0/0"], "layer4Configs": [{"ipProtocol": "tcp", "ports": ["http"]}]}}]}]}`,
			"firewallPolicys[0].rules[0].match.layer4Configs[0].ports[0]"},
		{"vpc rule broken", `{"firewalls": [{"name": "a", "network": "n", "allowed": [{"IPProtocol": "tcp"}], "sourceRanges": ["x"]}], "firewallPolicys": []}`,
			"firewalls[0].sourceRanges[0]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im := inventory.Importer{SnapshotTime: snapshot}
			_, err := im.Add("eff.json", []byte(c.data))
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), "eff.json") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want a *ParseError naming eff.json and %s", err, c.want)
			}
		})
	}
}
