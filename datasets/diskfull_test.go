package datasets_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

const diskFullChild = "RISKMAP_TEST_DISKFULL_CHILD"

// TestDiskFull writes tables onto a small tmpfs that fills up: with no byte left (arrow-go's
// Parquet writer panics on its first write) and with a few KiB left (it fails mid-file). Each
// write must return an error naming the table and the cause, leave no file behind, and keep
// the rows already committed readable; once space is back, writing works again.
//
// The tmpfs is mounted in a private mount namespace: the test re-runs itself in a child with
// CLONE_NEWNS, so the mount disappears with the child whatever happens to it.
func TestDiskFull(t *testing.T) {
	if os.Getenv(diskFullChild) != "" {
		diskFull(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root (CI runs as root)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFull$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), diskFullChild+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.EPERM) || (err != nil && strings.Contains(err.Error(), "operation not permitted")) {
		t.Skipf("cannot make a mount namespace here: %v", err)
	}
	if i := strings.Index(string(out), "no tmpfs: "); i >= 0 {
		line, _, _ := strings.Cut(string(out[i:]), "\n")
		t.Skip(line)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestDiskFull") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
}

func diskFull(t *testing.T) {
	// Keep the mount to this namespace: without this, a shared root would propagate it.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		t.Skipf("no tmpfs: making / private: %v", err)
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=4m"); err != nil {
		t.Skipf("no tmpfs: mount: %v", err)
	}
	defer syscall.Unmount(dir, syscall.MNT_DETACH)
	ctx := context.Background()
	s, err := datasets.Open(filepath.Join(dir, "ws"), nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	write := func(id string, n int) error {
		obs := sampleObservations(n)
		for i := range obs {
			obs[i].Scripts = []riskmap.Script{{ID: "banner", Output: fmt.Sprintf("%x", i*7919*104729)}}
		}
		rec := datasets.ObservationsRecord(s.Allocator(), obs)
		defer rec.Release()
		return w.WriteTable(datasets.TableObservations, "day=2026-11-22", id, rec)
	}
	if err := write("committed", 50); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	fill(t, filler)

	for _, tc := range []struct {
		name string
		free int64 // bytes given back before the write
	}{
		{"no byte left", 0},
		{"a few KiB left", 12 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.free > 0 {
				st, _ := os.Stat(filler)
				if err := os.Truncate(filler, st.Size()-tc.free); err != nil {
					t.Fatal(err)
				}
			}
			err := write("full", 5000)
			if err == nil {
				t.Fatal("the write succeeded on a full disk")
			}
			if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "table observations") {
				t.Errorf("error %q: want it to name table observations and wrap ENOSPC", err)
			}
			t.Logf("error: %v", err)
			leftovers(t, s.Dir)
			if ok, _ := s.Has(datasets.TableObservations, "full"); ok {
				t.Error("a file for the failed write is visible")
			}
			rows, err := datasets.ReadAll(ctx, s, datasets.TableObservations, nil, datasets.DecodeObservations)
			if err != nil || len(rows) != 50 {
				t.Errorf("committed rows: %d, %v; want the 50 written before", len(rows), err)
			}
		})
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := write("full", 5000); err != nil {
		t.Fatalf("with space back: %v", err)
	}
	rows, err := datasets.ReadAll(ctx, s, datasets.TableObservations, nil, datasets.DecodeObservations)
	if err != nil || len(rows) != 5050 {
		t.Errorf("after space came back: %d rows, %v", len(rows), err)
	}
}

// fill writes path until the file system is full.
func fill(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling: %v", err)
			}
			return
		}
	}
}

// leftovers fails on any temporary file left in the workspace.
func leftovers(t *testing.T, root string) {
	t.Helper()
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("left behind: %s", path)
		}
		return nil
	})
}
