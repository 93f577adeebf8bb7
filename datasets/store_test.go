package datasets_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/duckdb"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func sampleObservations(n int) []riskmap.Observation {
	out := make([]riskmap.Observation, n)
	for i := range out {
		out[i] = riskmap.Observation{
			ScanID: "scan1", ScanTime: t0, IP: fmt.Sprintf("127.0.%d.%d", i/250, i%250+1),
			AssetID: fmt.Sprintf("i-%04d", i), Port: 22 + i%3, Proto: "tcp", State: "open",
			Reason: "syn-ack", Service: "ssh", Product: "OpenSSH", Version: "8.9p1",
			CPEs:    []string{"cpe:/a:openbsd:openssh:8.9p1"},
			Scripts: []riskmap.Script{{ID: "ssh-hostkey", Output: "2048 aa:bb (RSA)"}},
		}
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	s, err := datasets.Open(t.TempDir(), mem)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	assets := []riskmap.Asset{{
		SnapshotTime: t0, ID: "i-1", Provider: "aws", Account: "111", Region: "eu-west-1a",
		Network: "vpc-1", Subnet: "subnet-1", Kind: riskmap.KindVM, State: "running",
		Image: "ami-1", Group: "asg-web", SecurityGroups: []string{"sg-1"},
		PrivateIPs: []string{"10.0.0.5"}, PublicIPs: []string{"203.0.113.9"},
		Tags: []riskmap.Tag{{Key: "env", Value: "prod"}}, LaunchedAt: t0.Add(-time.Hour),
		OSFamily: "linux", Exposed: []riskmap.Exposure{{Proto: "tcp", FromPort: 22, ToPort: 22, Source: "0.0.0.0/0"}},
		InternetExposedPorts: []int{22},
	}}
	scans := []riskmap.Scan{{ID: "scan1", Started: t0, Finished: t0.Add(time.Minute), Args: "nmap -sV", HostsUp: 2, Complete: true, NmapVersion: "7.93"}}
	hosts := []riskmap.Host{{ScanID: "scan1", ScanTime: t0, IP: "127.0.0.2", Status: "up", ExtraPorts: map[string]int{"closed": 997}, Scripts: []riskmap.Script{{ID: "smb-os", Output: "x"}}}}
	obs := sampleObservations(10)
	findings := []riskmap.Finding{{ScanID: "scan1", AssetID: "i-1", IP: "127.0.0.2", Port: 6379, Proto: "tcp", RuleID: "redis-internet", Severity: riskmap.SeverityCritical, Title: "t", CVEs: []string{"CVE-1"}}}
	scores := []riskmap.Score{{AssetID: "i-1", AsOf: t0, Model: "risk", ModelVersion: "v1", Risk: 0.5, Tier: riskmap.TierDeep, Reasons: []string{"a"}}}
	diffs := []riskmap.Diff{{AssetID: "i-1", IP: "127.0.0.2", Port: 22, Proto: "tcp", Change: riskmap.ChangeNewPort, After: "open ssh", ScanID: "scan2", BaselineScanID: "scan1", ScanTime: t0}}

	check := func(name string, rec arrow.RecordBatch, table string, want any, decode func(arrow.RecordBatch) (any, error)) {
		t.Run(name, func(t *testing.T) {
			defer rec.Release()
			if err := w.WriteTable(table, "day=2026-11-22", "x", rec); err != nil {
				t.Fatal(err)
			}
			var got []any
			err := s.Scan(ctx, table, datasets.ScanOptions{}, func(_ datasets.File, r arrow.RecordBatch) error {
				v, err := decode(r)
				got = append(got, v)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
				t.Fatalf("round trip of %s:\n got %+v\nwant %+v", table, got, want)
			}
		})
	}
	check("assets", datasets.AssetsRecord(mem, assets), datasets.TableAssets, assets, func(r arrow.RecordBatch) (any, error) { return datasets.DecodeAssets(r) })
	check("scans", datasets.ScansRecord(mem, scans), datasets.TableScans, scans, func(r arrow.RecordBatch) (any, error) { return datasets.DecodeScans(r) })
	check("hosts", datasets.HostsRecord(mem, hosts), datasets.TableHosts, hosts, func(r arrow.RecordBatch) (any, error) { return datasets.DecodeHosts(r) })
	check("observations", datasets.ObservationsRecord(mem, obs), datasets.TableObservations, obs, func(r arrow.RecordBatch) (any, error) { return datasets.DecodeObservations(r) })
	check("findings", datasets.FindingsRecord(mem, findings), datasets.TableFindings, findings, func(r arrow.RecordBatch) (any, error) { return datasets.DecodeFindings(r) })
	check("scores", datasets.ScoresRecord(mem, scores), datasets.TableScores, scores, func(r arrow.RecordBatch) (any, error) { return datasets.DecodeScores(r) })
	check("diffs", datasets.DiffsRecord(mem, diffs), datasets.TableDiffs, diffs, func(r arrow.RecordBatch) (any, error) { return datasets.DecodeDiffs(r) })
}

func TestSameIDTwiceChangesNothing(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, _ := datasets.Open(t.TempDir(), mem)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := 0; i < 2; i++ {
		rec := datasets.ObservationsRecord(mem, sampleObservations(100))
		if err := w.WriteTable(datasets.TableObservations, "day=2026-11-22", "scan1", rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	infos, err := s.Tables()
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range infos {
		if ti.Name == datasets.TableObservations && (ti.Rows != 100 || ti.Files != 1 || ti.Partitions != 1) {
			t.Fatalf("after two writes of one id: %+v, want 100 rows in 1 file in 1 partition", ti)
		}
	}
}

func TestOneWriterAtATime(t *testing.T) {
	s, _ := datasets.Open(t.TempDir(), nil)
	w1, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Writer()
	var le *datasets.LockError
	if !errors.Is(err, datasets.ErrLocked) || !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("second writer: err = %v, want ErrLocked naming pid %d", err, os.Getpid())
	}
	if !strings.Contains(err.Error(), ".lock") {
		t.Fatalf("lock error %q does not name the lock file", err)
	}
	// Readers never block.
	if _, err := s.Tables(); err != nil {
		t.Fatalf("reader while locked: %v", err)
	}
	w1.Close()
	w2, err := s.Writer()
	if err != nil {
		t.Fatalf("writer after release: %v", err)
	}
	w2.Close()
}

func TestTemporaryFilesNeverVisible(t *testing.T) {
	dir := t.TempDir()
	s, _ := datasets.Open(dir, nil)
	part := filepath.Join(s.TablePath(datasets.TableScans), "day=2026-11-22")
	os.MkdirAll(part, 0o755)
	// What a writer killed mid-write leaves behind.
	stale := filepath.Join(part, ".tmp-0011-abc.parquet")
	os.WriteFile(stale, []byte("PAR1 half a file"), 0o644)
	files, err := s.Files(datasets.TableScans)
	if err != nil || len(files) != 0 {
		t.Fatalf("files = %v, %v; want none (temporary files are invisible)", files, err)
	}
	if _, err := s.Tables(); err != nil {
		t.Fatalf("tables with a stale temporary file: %v", err)
	}
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("a new writer did not sweep the stale temporary file: %v", err)
	}
}

func TestBadWrites(t *testing.T) {
	s, _ := datasets.Open(t.TempDir(), nil)
	w, _ := s.Writer()
	defer w.Close()
	rec := datasets.ScansRecord(memory.DefaultAllocator, nil)
	defer rec.Release()
	for _, tc := range []struct{ name, partition, id string }{
		{"slash in id", "", "a/b"},
		{"hidden id", "", ".x"},
		{"empty id", "", ""},
		{"partition without key", "2026", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := w.WriteTable(datasets.TableScans, tc.partition, tc.id, rec); err == nil {
				t.Fatalf("WriteTable(%q, %q) succeeded", tc.partition, tc.id)
			}
		})
	}
}

// TestDuckDBReadsTables checks that an independent reader, DuckDB, reads every table the
// store writes with the same row counts as Tables reports.
func TestDuckDBReadsTables(t *testing.T) {
	if _, err := duckdb.Dir(); err != nil {
		t.Fatalf("%v: the test set-up (make setup) installs it", err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	s, _ := datasets.Open(dir, mem)
	w, _ := s.Writer()
	for day, n := range map[string]int{"day=2026-11-21": 300, "day=2026-11-22": 1234} {
		rec := datasets.ObservationsRecord(mem, sampleObservations(n))
		if err := w.WriteTable(datasets.TableObservations, day, "scan-"+day, rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	rec := datasets.ScansRecord(mem, []riskmap.Scan{{ID: "a", Started: t0, Complete: true}, {ID: "b", Started: t0}})
	w.WriteTable(datasets.TableScans, "day=2026-11-22", "ab", rec)
	rec.Release()
	w.Close()

	infos, err := s.Tables()
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range infos {
		if ti.Files == 0 {
			continue
		}
		glob := filepath.Join(s.TablePath(ti.Name), "**", "*.parquet")
		rows, err := duckdb.Query(context.Background(), "select count(*)::BIGINT as n from read_parquet("+duckdb.Quote(glob)+", hive_partitioning=true)")
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(rows[0]["n"]); got != fmt.Sprint(ti.Rows) {
			t.Errorf("table %s: duckdb counts %s rows, riskmap %d", ti.Name, got, ti.Rows)
		}
	}
	// Types survive: timestamps are timestamps with time zone, lists are lists.
	glob := filepath.Join(s.TablePath(datasets.TableObservations), "**", "*.parquet")
	rows, err := duckdb.Query(context.Background(), "select any_value(typeof(scan_time)) as t, any_value(typeof(cpes)) as c, max(port) as p, count(distinct day) as days from read_parquet("+duckdb.Quote(glob)+", hive_partitioning=true)")
	if err != nil {
		t.Fatal(err)
	}
	if rows[0]["t"] != "TIMESTAMP WITH TIME ZONE" || rows[0]["c"] != "VARCHAR[]" || fmt.Sprint(rows[0]["days"]) != "2" {
		t.Fatalf("duckdb sees %v", rows[0])
	}
}

// TestScanColumnsAfterNested selects columns that come after nested ones (lists, structs):
// Parquet numbers leaves, not fields, so a naive index reads the wrong column.
func TestScanColumnsAfterNested(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, _ := datasets.Open(t.TempDir(), mem)
	w, _ := s.Writer()
	defer w.Close()
	obs := sampleObservations(5)
	for i := range obs {
		obs[i].OSMatch = fmt.Sprintf("os-%d", i)
	}
	rec := datasets.ObservationsRecord(mem, obs)
	defer rec.Release()
	if err := w.WriteTable(datasets.TableObservations, "", "x", rec); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := s.Scan(context.Background(), datasets.TableObservations, datasets.ScanOptions{Columns: []string{"os_match", "cpes", "port"}},
		func(_ datasets.File, r arrow.RecordBatch) error {
			if r.NumCols() != 3 {
				return fmt.Errorf("got %d columns, want 3", r.NumCols())
			}
			for i := 0; i < int(r.NumRows()); i++ {
				got = append(got, r.Column(r.Schema().FieldIndices("os_match")[0]).ValueStr(i))
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[os-0 os-1 os-2 os-3 os-4]" {
		t.Fatalf("os_match read as %v", got)
	}
}
