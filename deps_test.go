package riskmap_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/riskmap/riskmap"

// rule is one row of docs/ARCHITECTURE.md's import table: what a package's non-test files may
// import, and what its test files may import on top. Entries are module-relative package paths
// ("riskmap" is the root), outside module paths, or "*".
type rule struct {
	imports, tests []string
}

// pkgImports is what `go list` says a package imports, split by who imports it.
type pkgImports struct {
	ImportPath   string
	Imports      []string
	TestImports  []string // in-package test files
	XTestImports []string // external _test package files
}

// readTable parses the table between <!-- deps:begin --> and <!-- deps:end --> of the
// architecture document.
func readTable(doc []byte) (map[string]rule, error) {
	begin, end := bytes.Index(doc, []byte("<!-- deps:begin -->")), bytes.Index(doc, []byte("<!-- deps:end -->"))
	if begin < 0 || end < begin {
		return nil, errors.New("docs/ARCHITECTURE.md: no <!-- deps:begin --> ... <!-- deps:end --> table")
	}
	table := map[string]rule{}
	line := bytes.Count(doc[:begin], []byte("\n")) + 1
	for _, row := range strings.Split(string(doc[begin:end]), "\n") {
		line++
		if !strings.HasPrefix(row, "| `") {
			continue
		}
		cells := strings.Split(row, "|")
		if len(cells) != 5 {
			return nil, fmt.Errorf("docs/ARCHITECTURE.md:%d: %d cells, want package | imports | tests also", line, len(cells)-2)
		}
		pkg := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if _, dup := table[pkg]; dup {
			return nil, fmt.Errorf("docs/ARCHITECTURE.md:%d: package %s listed twice", line, pkg)
		}
		table[pkg] = rule{imports: list(cells[2]), tests: list(cells[3])}
	}
	return table, nil
}

func list(cell string) []string {
	var out []string
	for _, f := range strings.Split(cell, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// name is a package's name in the table: module-relative, "riskmap" for the root.
func name(importPath string) string {
	if importPath == module {
		return "riskmap"
	}
	return strings.TrimPrefix(importPath, module+"/")
}

// violations checks every package's imports, test files' included, against the table, and
// that the table names exactly the packages there are.
func violations(table map[string]rule, pkgs []pkgImports) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range pkgs {
		pkg := name(p.ImportPath)
		seen[pkg] = true
		r, ok := table[pkg]
		if !ok {
			out = append(out, fmt.Sprintf("package %s is not in docs/ARCHITECTURE.md's import table: add it", pkg))
			continue
		}
		for _, imp := range p.Imports {
			if !permitted(imp, r.imports) {
				out = append(out, fmt.Sprintf("%s imports %s, which the import table does not allow", pkg, imp))
			}
		}
		var tests []string
		for _, imp := range append(append([]string(nil), p.TestImports...), p.XTestImports...) {
			if imp == p.ImportPath || slices.Contains(p.Imports, imp) {
				continue // an external test imports its own package; the rest was checked above
			}
			tests = append(tests, imp)
			if !permitted(imp, r.imports) && !permitted(imp, r.tests) {
				out = append(out, fmt.Sprintf("a test of %s imports %s, which the import table does not allow", pkg, imp))
			}
		}
		// The table says no more than the code does: every entry is used where it is listed.
		for _, e := range r.imports {
			if e != "*" && !used(e, p.Imports) {
				out = append(out, fmt.Sprintf("the import table lets %s import %s, which it does not: remove it", pkg, e))
			}
		}
		for _, e := range r.tests {
			if e != "*" && !used(e, tests) {
				out = append(out, fmt.Sprintf("the import table lets tests of %s import %s, which they do not: remove it", pkg, e))
			}
		}
	}
	for pkg := range table {
		if !seen[pkg] {
			out = append(out, fmt.Sprintf("docs/ARCHITECTURE.md's import table lists %s, which is not a package", pkg))
		}
	}
	slices.Sort(out)
	return out
}

// used says whether any of imports is what the table entry e names.
func used(e string, imports []string) bool {
	for _, imp := range imports {
		if permitted(imp, []string{e}) && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
			return true
		}
	}
	return false
}

func permitted(imp string, rules []string) bool {
	if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
		return true // standard library
	}
	for _, r := range rules {
		switch {
		case r == "*":
			return true
		case r == "riskmap":
			if imp == module {
				return true
			}
		case strings.Contains(strings.SplitN(r, "/", 2)[0], "."):
			if imp == r || strings.HasPrefix(imp, r+"/") {
				return true
			}
		case imp == module+"/"+r:
			return true
		}
	}
	return false
}

func goList(t *testing.T) []pkgImports {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []pkgImports
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkgImports
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestDependencyDirection fails when a package, or one of its test files, imports what
// docs/ARCHITECTURE.md's table does not allow, or when the table and the packages differ.
func TestDependencyDirection(t *testing.T) {
	doc, err := os.ReadFile("docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	table, err := readTable(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range violations(table, goList(t)) {
		t.Error(v)
	}
}

// TestDependencyCheckSeesTestFiles checks the checker: a backward import in a test file (a
// features test importing engine), a stale table row and an entry the code does not use are
// all reported.
func TestDependencyCheckSeesTestFiles(t *testing.T) {
	table := map[string]rule{
		"features": {imports: []string{"riskmap", "datasets"}, tests: []string{"datasets/duckdb"}},
		"engine":   {imports: []string{"*"}},
		"report":   {imports: []string{"datasets"}},
	}
	pkgs := []pkgImports{
		{ImportPath: module + "/features", Imports: []string{module + "/datasets", "fmt"},
			TestImports: []string{module + "/datasets/duckdb"}, XTestImports: []string{module + "/features", module + "/engine"}},
		{ImportPath: module + "/engine", Imports: []string{module + "/features"}, TestImports: []string{module + "/scanner"}},
	}
	got := violations(table, pkgs)
	want := []string{
		"a test of features imports " + module + "/engine, which the import table does not allow",
		"docs/ARCHITECTURE.md's import table lists report, which is not a package",
		"the import table lets features import riskmap, which it does not: remove it",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
