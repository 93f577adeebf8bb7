package nse

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

//go:embed scripts/*.nse
var scripts embed.FS

// Names returns the ids of riskmap's checks (the file names without .nse), sorted.
func Names() []string {
	entries, _ := fs.ReadDir(scripts, "scripts") // embedded: cannot fail
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".nse"))
	}
	slices.Sort(out)
	return out
}

// Has reports whether name is one of riskmap's checks.
func Has(name string) bool {
	_, err := fs.Stat(scripts, path.Join("scripts", name+".nse"))
	return err == nil
}

// Source returns the text of check name.
func Source(name string) ([]byte, error) {
	b, err := scripts.ReadFile(path.Join("scripts", name+".nse"))
	if err != nil {
		return nil, fmt.Errorf("nse script %q: not one of riskmap's checks (%s)", name, strings.Join(Names(), ", "))
	}
	return b, nil
}

// Dir is the directory, under root, that Install writes this build's checks to: named for the
// hash of their content.
func Dir(root string) string {
	h := sha256.New()
	for _, n := range Names() {
		b, _ := Source(n)
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return filepath.Join(root, "riskmap-nse-"+hex.EncodeToString(h.Sum(nil))[:16])
}

// Install writes every check into Dir(root), creating it, and returns the path of each by
// name. Files already there with the right content are kept; others are written to a
// temporary name and renamed, so that a concurrent nmap never reads half a script.
func Install(root string) (map[string]string, error) {
	dir := Dir(root)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("install nse scripts: %w", err)
	}
	out := map[string]string{}
	for _, n := range Names() {
		src, _ := Source(n)
		p := filepath.Join(dir, n+".nse")
		out[n] = p
		if have, err := os.ReadFile(p); err == nil && string(have) == string(src) {
			continue
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("install nse script %s: %w", p, err)
		}
		tmp, err := os.CreateTemp(dir, "."+n+"-*.tmp")
		if err != nil {
			return nil, fmt.Errorf("install nse script %s: %w", p, err)
		}
		_, werr := tmp.Write(src)
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr); err != nil {
			os.Remove(tmp.Name())
			return nil, fmt.Errorf("install nse script %s: %w", p, err)
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			os.Remove(tmp.Name())
			return nil, fmt.Errorf("install nse script %s: %w", p, err)
		}
		if err := os.Rename(tmp.Name(), p); err != nil {
			os.Remove(tmp.Name())
			return nil, fmt.Errorf("install nse script %s: %w", p, err)
		}
	}
	return out, nil
}
