package models

import (
	"os"

	"github.com/riskmap/riskmap/datasets"
)

// writeAtomic makes path hold b, or leaves it as it was (datasets.WriteAtomic).
func writeAtomic(path string, b []byte) error {
	return datasets.WriteAtomic(path, func(f *os.File) error {
		_, err := f.Write(b)
		return err
	})
}

// syncDir fsyncs a directory, making the renames and creations inside it durable.
func syncDir(dir string) error { return datasets.SyncDir(dir) }
