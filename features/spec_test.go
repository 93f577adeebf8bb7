package features_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

var snake = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

func TestSpec(t *testing.T) {
	spec := features.Spec()
	if len(spec) < 40 {
		t.Errorf("%d features, want at least 40", len(spec))
	}
	groups := map[string]int{}
	seen := map[string]bool{}
	reserved := map[string]bool{"asset_id": true, "as_of": true, "feature_version": true}
	for i, f := range spec {
		t.Run(fmt.Sprintf("%02d-%s", i, f.Name), func(t *testing.T) {
			if !snake.MatchString(f.Name) {
				t.Errorf("name %q is not snake_case", f.Name)
			}
			if seen[f.Name] || reserved[f.Name] {
				t.Errorf("name %q is taken", f.Name)
			}
			if f.Doc == "" || strings.Contains(f.Doc, "\n") {
				t.Errorf("doc %q: want one line", f.Doc)
			}
			if f.Unit == "" || f.Group == "" {
				t.Errorf("unit %q, group %q: want both", f.Unit, f.Group)
			}
		})
		seen[f.Name] = true
		groups[f.Group]++
	}
	for _, g := range []string{"exposure", "asset", "history", "services", "intel", "findings", "change", "neighbourhood", "predicted"} {
		if groups[g] == 0 {
			t.Errorf("no feature in group %q", g)
		}
	}
	names := features.Names()
	for i := range spec {
		if names[i] != spec[i].Name {
			t.Fatalf("Names()[%d] = %q, Spec()[%d].Name = %q", i, names[i], i, spec[i].Name)
		}
	}
	spec[0].Name = "changed"
	if features.Spec()[0].Name == "changed" {
		t.Error("Spec returns the package's own slice")
	}
	sc := datasets.FeaturesSchema(features.Version, names)
	if sc.NumFields() != len(names)+3 {
		t.Errorf("features schema has %d fields, want %d", sc.NumFields(), len(names)+3)
	}
}

// Example_describe prints the start of the spec, as `riskmap features --describe` does.
func Example_describe() {
	for _, f := range features.Spec()[:3] {
		fmt.Printf("%-16s %-8s %s\n", f.Name, f.Unit, f.Doc)
	}
	// Output:
	// has_public_ip    bool     the asset has at least one public IP address
	// public_ip_count  count    public IP addresses of the asset
	// ingress_rules    rules    ingress rules its security groups / firewall allow
}
