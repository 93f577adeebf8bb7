package features_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

func featuresFile(s *datasets.Store, at time.Time) string {
	return filepath.Join(s.TablePath(datasets.TableFeatures), features.Partition(at), features.FileID(at)+".parquet")
}

func modTime(t *testing.T, path string) time.Time {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime()
}

func writeFeatures(t *testing.T, s *datasets.Store, at time.Time) int {
	t.Helper()
	w := writer(t, s)
	defer w.Close()
	n, err := features.WriteFeatures(context.Background(), w, at, nil)
	if err != nil {
		t.Fatalf("WriteFeatures: %v", err)
	}
	return n
}

func current(t *testing.T, s *datasets.Store, at time.Time) bool {
	t.Helper()
	ok, err := features.Current(context.Background(), s, at, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestWriteFeaturesIncremental: the second build of an as_of with unchanged inputs writes
// nothing, nor does one after a later scan; an earlier scan makes it rebuild in place.
func TestWriteFeaturesIncremental(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newWorkspace(t, mem)
	path := featuresFile(s, asOf)
	if current(t, s, asOf) {
		t.Fatal("Current before the first build")
	}
	if n := writeFeatures(t, s, asOf); n != 6 {
		t.Fatalf("first build wrote %d rows, want 6", n)
	}
	first := modTime(t, path)
	if !current(t, s, asOf) {
		t.Fatal("not Current right after the build")
	}

	t.Run("unchanged inputs", func(t *testing.T) {
		time.Sleep(10 * time.Millisecond) // a rewrite would show in the modification time
		if n := writeFeatures(t, s, asOf); n != 6 {
			t.Errorf("second build reported %d rows, want 6", n)
		}
		if !modTime(t, path).Equal(first) {
			t.Error("the second build rewrote the file")
		}
	})
	t.Run("a scan after as_of", func(t *testing.T) {
		w := writer(t, s)
		writeScan(t, w, mem, later())
		w.Close()
		if !current(t, s, asOf) {
			t.Error("a scan after as_of made the features of as_of stale")
		}
		writeFeatures(t, s, asOf)
		if !modTime(t, path).Equal(first) {
			t.Error("a scan after as_of rewrote the features of as_of")
		}
	})
	t.Run("a scan before as_of", func(t *testing.T) {
		w := writer(t, s)
		writeScan(t, w, mem, scan{id: "scan-early", started: day(15), hosts: []host{
			{id: "i-web3", ip: "10.0.0.3", status: "up", ports: []port{open(23, "telnet", "", "")}},
		}})
		w.Close()
		if current(t, s, asOf) {
			t.Error("a scan before as_of left the features of as_of current")
		}
		if n := writeFeatures(t, s, asOf); n != 6 {
			t.Errorf("rebuild wrote %d rows, want 6", n)
		}
		if modTime(t, path).Equal(first) {
			t.Error("the rebuild did not rewrite the file")
		}
		files, err := s.Files(datasets.TableFeatures)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 {
			t.Errorf("features table has %d files, want the one file of as_of", len(files))
		}
		rows := readFeatures(t, s)
		if got := rows["i-web3"]["svc_telnet"]; got != 1 {
			t.Errorf("stored svc_telnet of i-web3 = %g, want 1 after the early scan", got)
		}
	})
}

// readFeatures reads the features table back through the workspace's own reader.
func readFeatures(t *testing.T, s *datasets.Store) map[string]map[string]float32 {
	t.Helper()
	out := map[string]map[string]float32{}
	err := s.Scan(context.Background(), datasets.TableFeatures, datasets.ScanOptions{}, func(f datasets.File, rec arrow.RecordBatch) error {
		want := datasets.FeaturesSchema(features.Version, features.Names())
		for i, fd := range want.Fields() {
			if got := rec.Schema().Field(i); got.Name != fd.Name || !arrow.TypeEqual(got.Type, fd.Type) {
				t.Fatalf("%s: column %d is %s %s, want %s %s", f.Path, i, got.Name, got.Type, fd.Name, fd.Type)
			}
		}
		pf, err := file.OpenParquetFile(f.Path, false)
		if err != nil {
			return err
		}
		defer pf.Close()
		kv := pf.MetaData().KeyValueMetadata()
		if v := kv.FindValue(features.InputsKey); v == nil || len(*v) != 64 {
			t.Errorf("%s: no sha256 under %s in the footer", f.Path, features.InputsKey)
		}
		if v := kv.FindValue("riskmap.feature_version"); v == nil || *v != features.Version {
			t.Errorf("%s: riskmap.feature_version is not %s in the footer", f.Path, features.Version)
		}
		ids := rec.Column(0).(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			m := map[string]float32{}
			for k, name := range features.Names() {
				m[name] = rec.Column(3 + k).(*array.Float32).Value(i)
			}
			out[ids.Value(i)] = m
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPartitionAndFileID(t *testing.T) {
	for _, tc := range []struct {
		at        time.Time
		part, id  string
		different time.Time
	}{
		{time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC), "as_of=2026-11-22T14", "features-20261122T140000Z", time.Date(2026, 11, 22, 14, 30, 0, 0, time.UTC)},
		{time.Date(2026, 11, 22, 14, 5, 6, 7000, time.FixedZone("CET", 3600)), "as_of=2026-11-22T13", "features-20261122T130506.000007Z", time.Date(2026, 11, 22, 13, 5, 6, 8000, time.UTC)},
	} {
		t.Run(tc.id, func(t *testing.T) {
			if got := features.Partition(tc.at); got != tc.part {
				t.Errorf("Partition = %q, want %q", got, tc.part)
			}
			if got := features.FileID(tc.at); got != tc.id {
				t.Errorf("FileID = %q, want %q", got, tc.id)
			}
			if features.FileID(tc.different) == tc.id {
				t.Errorf("FileID of %s equals that of %s", tc.different, tc.at)
			}
		})
	}
}

// TestFingerprint: what may matter changes the fingerprint, what cannot does not.
func TestFingerprint(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newWorkspace(t, mem)
	ctx := context.Background()
	fp := func(at time.Time) string {
		v, err := features.Fingerprint(ctx, s, at, nil)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	base := fp(asOf)
	if again := fp(asOf); again != base {
		t.Error("the fingerprint of unchanged inputs changed")
	}
	if fp(asOf.Add(time.Second)) == base {
		t.Error("another as_of has the same fingerprint")
	}
	w := writer(t, s)
	write(t, w, datasets.TableAssets, "day=2026-03-25", "aws-111-4", datasets.AssetsRecord(mem, []riskmap.Asset{{SnapshotTime: day(24), ID: "i-x", Provider: "aws", Account: "111"}}))
	w.Close()
	if fp(asOf) != base {
		t.Error("an inventory snapshot after as_of changed the fingerprint")
	}
	w = writer(t, s)
	write(t, w, datasets.TableAssets, "day=2026-03-20", "aws-111-5", datasets.AssetsRecord(mem, []riskmap.Asset{{SnapshotTime: day(19), ID: "i-x", Provider: "aws", Account: "111"}}))
	w.Close()
	if fp(asOf) == base {
		t.Error("an inventory snapshot before as_of left the fingerprint unchanged")
	}
}
