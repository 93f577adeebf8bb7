package datasets

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// sample is riskmap's bundled sample data: real nmap scans, an AWS inventory export, KEV
// and EPSS files, and a pair of scans to diff.
//
//go:embed sample
var sample embed.FS

// WriteSample writes the bundled sample data under dir and returns the files written.
func WriteSample(dir string) ([]string, error) {
	var out []string
	err := fs.WalkDir(sample, "sample", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := sample.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("sample", path)
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return fmt.Errorf("sample: %w", err)
		}
		out = append(out, dst)
		return nil
	})
	return out, err
}
