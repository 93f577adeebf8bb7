package datasets

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ErrLocked means another writer holds the workspace.
var ErrLocked = errors.New("workspace is locked by another writer")

// LockError says who holds the lock.
type LockError struct {
	Path string
	PID  int // 0 when the holder did not write it
}

func (e *LockError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("%s: %v (pid %d); wait for it to finish", e.Path, ErrLocked, e.PID)
	}
	return fmt.Sprintf("%s: %v; wait for it to finish", e.Path, ErrLocked)
}

func (e *LockError) Unwrap() error { return ErrLocked }

// Writer is the one writer of a workspace. It holds an flock on <workspace>/.lock, which the
// kernel releases if the process dies, so a crash never leaves the workspace locked.
type Writer struct {
	s    *Store
	lock *os.File
}

// Writer takes the workspace's write lock without waiting. The caller must Close it.
func (s *Store) Writer() (*Writer, error) {
	path := filepath.Join(s.Dir, ".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("workspace lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockError{Path: path, PID: pid}
		}
		return nil, fmt.Errorf("workspace lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	w := &Writer{s: s, lock: f}
	if err := w.sweep(); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// Store is the store the writer writes to.
func (w *Writer) Store() *Store { return w.s }

// Close releases the lock.
func (w *Writer) Close() error {
	if w.lock == nil {
		return nil
	}
	_ = w.lock.Truncate(0)
	err := w.lock.Close() // closing the descriptor releases the flock
	w.lock = nil
	return err
}

// sweep removes temporary files that a crashed writer left behind. They were never visible.
func (w *Writer) sweep() error {
	root := filepath.Join(w.s.Dir)
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !d.IsDir() && strings.HasPrefix(d.Name(), ".tmp-") {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("workspace: remove stale %s: %w", path, err)
			}
		}
		return nil
	})
}

// WriteFile makes data visible at path (inside the workspace) atomically: it writes a
// temporary file in the same directory, fsyncs it, renames it over path and fsyncs the
// directory. Readers see the old file, or the new one whole.
func (w *Writer) WriteFile(path string, data []byte) error {
	return w.commit(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// WriteRaw keeps raw input (nmap XML, inventory JSON) under raw/<kind>/<name> before it is
// parsed, and returns its path. An existing file of that name is left as it is: names are
// content hashes.
func (w *Writer) WriteRaw(kind, name string, data []byte) (string, error) {
	path := w.s.RawPath(kind, name)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	return path, w.WriteFile(path, data)
}

// WriteTable writes recs, which must share one schema, as one Parquet file
// tables/<table>/<partition>/<id>.parquet (zstd). partition is "" or "key=value". The caller
// keeps ownership of recs. Writing an id that exists replaces it with the same rows: callers
// name files by content, so a second write of the same input changes nothing.
func (w *Writer) WriteTable(table, partition, id string, recs ...arrow.RecordBatch) error {
	if len(recs) == 0 {
		return fmt.Errorf("table %s: nothing to write", table)
	}
	if strings.ContainsAny(id, "/\\") || strings.HasPrefix(id, ".") || id == "" {
		return fmt.Errorf("table %s: bad file id %q", table, id)
	}
	if partition != "" && !strings.Contains(partition, "=") {
		return fmt.Errorf("table %s: partition %q is not key=value", table, partition)
	}
	dir := w.s.TablePath(table)
	if partition != "" {
		dir = filepath.Join(dir, filepath.FromSlash(partition))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("table %s: %w", table, err)
	}
	path := filepath.Join(dir, id+".parquet")
	opts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithAllocator(w.s.mem),
		parquet.WithMaxRowGroupLength(128 * 1024),
	}
	// Dictionaries pay for strings that repeat (services, states, ids); for floats, such as
	// feature columns, they cost time and rarely save space.
	for _, f := range recs[0].Schema().Fields() {
		switch f.Type.ID() {
		case arrow.FLOAT32, arrow.FLOAT64:
			opts = append(opts, parquet.WithDictionaryFor(f.Name, false))
		}
	}
	props := parquet.NewWriterProperties(opts...)
	arrProps := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(w.s.mem))
	err := w.commit(path, func(f *os.File) error {
		// The Parquet writer closes the sink it is given; the guard's wrapper hides Close so
		// that commit can still fsync the file. A panic inside the writer (a failed write,
		// such as a full disk) becomes an error, and commit removes the temporary file.
		return GuardParquet("table "+table, f, func(sink io.Writer) error {
			fw, err := pqarrow.NewFileWriter(recs[0].Schema(), sink, props, arrProps)
			if err != nil {
				return err
			}
			for _, rec := range recs {
				if !rec.Schema().Equal(recs[0].Schema()) {
					fw.Close()
					return fmt.Errorf("record schemas differ")
				}
				if err := fw.WriteBuffered(rec); err != nil {
					fw.Close()
					return err
				}
			}
			return fw.Close()
		})
	})
	if err != nil && !strings.Contains(err.Error(), "table "+table) {
		return fmt.Errorf("table %s: %w", table, err)
	}
	return err
}

func (w *Writer) commit(path string, write func(*os.File) error) error {
	if w.lock == nil {
		return errors.New("workspace writer is closed")
	}
	return WriteAtomic(path, write)
}

// WriteAtomic makes path hold what write writes, or leaves it as it was: write fills a
// temporary file in the same directory (named .tmp-*, which readers never list and the next
// Writer sweeps away), which is fsynced and renamed over path; then the directory is fsynced
// so that the rename survives a crash. The caller is responsible for being the only writer.
func WriteAtomic(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, ".tmp-"+randomHex()+"-"+filepath.Base(path))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(f); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory, making the renames and creations inside it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
