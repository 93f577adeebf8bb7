package riskmap_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/riskmap/riskmap"

// allowed lists, per package (relative to the module), the riskmap packages and the outside
// modules it may import directly. It is DESIGN.md's dependency table: dependencies point down
// the table, never back up, and siblings do not import each other unless listed here.
var allowed = map[string][]string{
	"":                   {},
	"datasets":           {"", "github.com/apache/arrow-go/v18"},
	"datasets/duckdb":    {},
	"datasets/estate":    {""},
	"datasets/lab":       {"", "datasets/estate", "datasets/lab/netns"},
	"datasets/lab/netns": {"golang.org/x/sys"},
	"features": {"", "datasets", "features/intel", "features/findings", "features/baseline",
		"github.com/apache/arrow-go/v18"},
	"features/inventory": {""},
	"features/nmapxml":   {"", "github.com/Ullaakut/nmap/v3"},
	"features/intel":     {""},
	"features/findings":  {"", "features/intel", "gopkg.in/yaml.v3"},
	"features/baseline":  {""},
	"models": {"", "datasets", "features", "models/onnxpb", "github.com/yalue/onnxruntime_go",
		"google.golang.org/protobuf", "github.com/apache/arrow-go/v18"},
	"models/onnxpb": {"google.golang.org/protobuf"},
	"training": {"", "datasets", "features", "models", "models/onnxpb", "gonum.org/v1/gonum",
		"google.golang.org/protobuf", "github.com/apache/arrow-go/v18"},
	"scanner":       {"", "github.com/Ullaakut/nmap/v3", "gopkg.in/yaml.v3"},
	"workers":       {"", "scanner", "github.com/nats-io/nats-server/v2", "github.com/nats-io/nats.go"},
	"engine":        {"*"},
	"report":        {"", "datasets", "gonum.org/v1/plot"},
	"cmd/riskmap":   {"*"},
	"bench/results": {"*"},
}

// TestDependencyDirection fails when a package imports one that DESIGN.md's table does not
// allow it to.
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		rules, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %q is not in the dependency table (deps_test.go): add it, and to DESIGN.md", pkg)
			continue
		}
		if len(rules) == 1 && rules[0] == "*" {
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				continue // standard library
			}
			if !permitted(imp, rules) {
				t.Errorf("%s imports %s, which the dependency table does not allow", fields[0], imp)
			}
		}
	}
}

func permitted(imp string, rules []string) bool {
	for _, r := range rules {
		if strings.Contains(strings.SplitN(r, "/", 2)[0], ".") {
			if imp == r || strings.HasPrefix(imp, r+"/") {
				return true
			}
			continue
		}
		internal := module
		if r != "" {
			internal += "/" + r
		}
		if imp == internal {
			return true
		}
	}
	return false
}
