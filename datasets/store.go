package datasets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Store is a workspace directory. Readers use it directly; writers take a Writer.
type Store struct {
	Dir string
	mem memory.Allocator

	// OnRead, when set, is told of every file whose rows a reader opens (Scan, and the
	// feature builder through OpenRows), from the reading goroutine: it must be safe for
	// concurrent use. Footer-only reads are not reported. Tests count table reads with it.
	OnRead func(File)
}

// Open opens (and creates when missing) the workspace at dir. mem is the allocator for every
// Arrow buffer the store makes; nil means memory.DefaultAllocator.
func Open(dir string, mem memory.Allocator) (*Store, error) {
	if dir == "" {
		return nil, errors.New("workspace: empty directory name")
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	for _, d := range []string{"tables", "raw/nmap", "raw/inventory", "models"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("workspace %s: %w", dir, err)
		}
	}
	return &Store{Dir: dir, mem: mem}, nil
}

// Allocator is the allocator the store was opened with.
func (s *Store) Allocator() memory.Allocator { return s.mem }

// TablePath is the directory of a table.
func (s *Store) TablePath(table string) string { return filepath.Join(s.Dir, "tables", table) }

// RawPath is where raw input of a kind ("nmap", "inventory") is kept.
func (s *Store) RawPath(kind, name string) string { return filepath.Join(s.Dir, "raw", kind, name) }

// File is one visible Parquet file of a table.
type File struct {
	Table     string
	Partition string // "day=2026-11-22", or "" at the table's top
	Name      string // the file name, without directory
	Path      string
	Size      int64
}

// ID is the file name without its .parquet extension: the content identity it was written under.
func (f File) ID() string { return strings.TrimSuffix(f.Name, ".parquet") }

// Files lists the visible Parquet files of a table, sorted by partition then name. Temporary
// files of a writer in progress are never listed.
func (s *Store) Files(table string) ([]File, error) {
	root := s.TablePath(table)
	var out []File
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return fs.SkipDir
			}
			return err
		}
		if d.IsDir() || !visible(d.Name()) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		if rel == "." {
			rel = ""
		}
		out = append(out, File{Table: table, Partition: filepath.ToSlash(rel), Name: d.Name(), Path: path, Size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", table, err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Has reports whether a table has a visible file with the given id (in any partition).
func (s *Store) Has(table, id string) (bool, error) {
	files, err := s.Files(table)
	if err != nil {
		return false, err
	}
	for _, f := range files {
		if f.ID() == id {
			return true, nil
		}
	}
	return false, nil
}

func visible(name string) bool {
	return strings.HasSuffix(name, ".parquet") && !strings.HasPrefix(name, ".")
}
