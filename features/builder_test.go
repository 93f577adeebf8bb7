package features_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// row is one asset's features as Build emitted them.
type row struct {
	id     string
	asOf   time.Time
	values []float32
}

// build runs Build and collects its rows in emitted order, checking every batch's schema.
func build(t testing.TB, s *datasets.Store, opts features.BuildOptions) ([]row, features.Stats) {
	t.Helper()
	want := datasets.FeaturesSchema(features.Version, features.Names())
	var rows []row
	st, err := features.Build(context.Background(), s, opts, func(rec arrow.RecordBatch) error {
		if !rec.Schema().Equal(want) {
			return fmt.Errorf("batch schema %s, want %s", rec.Schema(), want)
		}
		if opts.BatchRows > 0 && int(rec.NumRows()) > opts.BatchRows {
			return fmt.Errorf("batch of %d rows, want at most %d", rec.NumRows(), opts.BatchRows)
		}
		ids := rec.Column(0).(*array.String)
		at := rec.Column(1).(*array.Timestamp)
		ver := rec.Column(2).(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			if ver.Value(i) != features.Version {
				return fmt.Errorf("feature_version %q, want %q", ver.Value(i), features.Version)
			}
			r := row{id: ids.Value(i), asOf: time.UnixMicro(int64(at.Value(i))).UTC()}
			for k := 3; k < int(rec.NumCols()); k++ {
				r.values = append(r.values, rec.Column(k).(*array.Float32).Value(i))
			}
			rows = append(rows, r)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return rows, st
}

// render writes rows as "asset feature value" lines, every feature of every asset.
func render(rows []row) []byte {
	var b bytes.Buffer
	names := features.Names()
	for _, r := range rows {
		fmt.Fprintf(&b, "%s as_of=%s\n", r.id, r.asOf.Format(time.RFC3339))
		for k, v := range r.values {
			fmt.Fprintf(&b, "  %-28s %g\n", names[k], v)
		}
	}
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", path, lineDiff(string(want), string(got)))
	}
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var x, y string
		if i < len(w) {
			x = w[i]
		}
		if i < len(g) {
			y = g[i]
		}
		if x != y {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, x, y)
		}
	}
	return b.String()
}

func value(t testing.TB, rows []row, id, name string) float32 {
	t.Helper()
	k := -1
	for i, n := range features.Names() {
		if n == name {
			k = i
		}
	}
	if k < 0 {
		t.Fatalf("no feature %q", name)
	}
	for _, r := range rows {
		if r.id == id {
			return r.values[k]
		}
	}
	t.Fatalf("no row for asset %q", id)
	return 0
}

func TestBuildGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		asOf time.Time
	}{
		{"asof-day20", asOf},
		{"asof-day11", day(11)}, // after the second snapshot, before the second scan
		{"asof-day1h6", day(1.25)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s := newWorkspace(t, mem)
			rows, _ := build(t, s, features.BuildOptions{AsOf: tc.asOf})
			golden(t, tc.name+".golden", render(rows))
		})
	}
}

// TestBuildFacts pins the features the fixture was designed to show, so that a golden file
// refreshed by mistake does not hide a wrong value.
func TestBuildFacts(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newWorkspace(t, mem)
	rows, st := build(t, s, features.BuildOptions{AsOf: asOf})
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.id)
	}
	if got, want := strings.Join(ids, ","), "vm-az1,i-web1,i-web2,i-web3,i-db1,i-win1"; got != want {
		t.Errorf("assets %s, want %s (latest snapshot per account in file order, i-gone terminated)", got, want)
	}
	for _, tc := range []struct {
		id, feature string
		want        float32
	}{
		{"i-web1", "has_public_ip", 1},
		{"i-web1", "internet_admin_ports", 1},
		{"i-web1", "env_prod", 1},
		{"i-web1", "criticality", 3},
		{"i-web1", "age_days", 120},
		{"i-web1", "open_ports_now", 4},  // 22, 443, 9200, 25
		{"i-web1", "open_ports_peak", 4}, // scan-2
		{"i-web1", "open_ports_ever", 5}, // 22, 80, 443, 9200, 25
		{"i-web1", "svc_elasticsearch", 1},
		{"i-web1", "tls_ports_now", 1},
		{"i-web1", "http_ports_now", 1},
		{"i-web1", "versioned_share_now", 0.75},
		{"i-web1", "internet_open_ports_now", 2}, // 22, 443
		{"i-web1", "kev_ports_now", 0},           // Apache 2.4.49 was on 80, now closed
		{"i-web1", "diff_new_ports", 2},
		{"i-web1", "diff_closed_ports", 1},
		{"i-web1", "findings_low", 1},
		{"i-web1", "epss_max_findings", 0.5},
		{"i-web2", "env_prod", 1},
		{"i-web2", "kev_ports_now", 0}, // upgraded to 2.4.51, outside the range
		{"i-web2", "diff_changed_ports", 1},
		{"i-web2", "findings_info", 1},
		{"i-web2", "predicted_sibling_ports", 3}, // 443, 9200 and 25 open on i-web1, never on i-web2
		{"i-web3", "never_scanned", 1},
		{"i-web3", "hours_since_last_scan", 8760},
		{"i-web3", "predicted_sibling_ports", 5}, // 22, 443, 9200, 25 (i-web1), 80 (i-web2)
		{"i-web3", "nbr_image_size", 3},          // i-web1, i-web2 and vm-az1
		{"i-db1", "kind_db", 1},
		{"i-db1", "env_staging", 1},
		{"i-db1", "criticality", 4},
		{"i-db1", "internet_data_ports", 2},
		{"i-db1", "svc_redis", 1},
		{"i-db1", "svc_mongodb", 1},
		{"i-db1", "findings_critical", 1},
		{"i-db1", "findings_high", 1},
		{"i-db1", "findings_medium", 0}, // scan-1's; the latest scan with findings is scan-2
		{"i-db1", "serious_scans", 2},
		{"i-db1", "days_since_serious", 8},
		{"i-db1", "scans_seen", 2},
		{"i-db1", "hours_since_last_scan", 192},
		{"i-db1", "predicted_unscanned_ports", 1}, // 5433
		{"i-db1", "nbr_subnet_serious", 0},        // alone in sn-b
		{"i-win1", "os_windows", 1},               // from nmap's OS match
		{"i-win1", "open_ports_now", 0},           // down in scan-2
		{"i-win1", "open_ports_ever", 3},
		{"i-win1", "scans_seen", 1},
		{"i-win1", "internet_udp", 1},
		{"i-win1", "internet_port_ranges", 1},
		{"i-win1", "diff_host_events", 1},
		{"i-win1", "epss_max_findings", 0.97},
		{"i-win1", "nbr_sg_serious", 0},           // sg-web's other members and sg-rdp: none serious
		{"i-web1", "nbr_subnet_serious", 1.0 / 3}, // i-win1 of i-web2, i-web3, i-win1
		{"i-web1", "nbr_sg_serious", 1.0 / 3},     // i-win1 of i-web2, i-web3, i-win1
		{"vm-az1", "internet_all_ports", 1},
		{"vm-az1", "running", 1},
	} {
		t.Run(tc.id+"/"+tc.feature, func(t *testing.T) {
			if got := value(t, rows, tc.id, tc.feature); got != tc.want {
				t.Errorf("%s of %s = %g, want %g", tc.feature, tc.id, got, tc.want)
			}
		})
	}
	if st.Assets != 6 || st.Snapshots != 2 {
		t.Errorf("stats: %d assets from %d snapshots, want 6 from 2", st.Assets, st.Snapshots)
	}
	if st.Obs.Unjoined != 1 || st.Hosts.Unjoined != 1 {
		t.Errorf("stats: %d observations and %d hosts unjoined, want 1 and 1 (10.9.9.9)", st.Obs.Unjoined, st.Hosts.Unjoined)
	}
}

// TestBuildKEV matches an observed product against the catalog: Apache httpd 2.4.49 is
// inside CVE-2021-41773's vulnerable range.
func TestBuildKEV(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newWorkspace(t, mem)
	rows, st := build(t, s, features.BuildOptions{AsOf: day(11)})
	if st.KEV != 2 || st.EPSS != 4 {
		t.Errorf("intel in effect: %d KEV entries and %d EPSS scores, want 2 and 4", st.KEV, st.EPSS)
	}
	for _, tc := range []struct {
		id, feature string
		want        float32
	}{
		{"i-web1", "kev_ports_now", 1},
		{"i-web1", "kev_cves_now", 1},
		{"i-web1", "kev_version_ports_now", 1},
		{"i-web1", "epss_max_kev", 0.94},
		{"i-web2", "kev_ports_now", 1},
		{"i-db1", "kev_ports_now", 0},
	} {
		t.Run(tc.id+"/"+tc.feature, func(t *testing.T) {
			if got := value(t, rows, tc.id, tc.feature); got != tc.want {
				t.Errorf("%s of %s = %g, want %g", tc.feature, tc.id, got, tc.want)
			}
		})
	}
}

// TestBuildStreaming checks that batch size and worker count change nothing: seven-row
// batches and one file at a time give the rows of one large batch read by many workers.
func TestBuildStreaming(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newWorkspace(t, mem)
	want, _ := build(t, s, features.BuildOptions{AsOf: asOf, BatchRows: 1 << 20, Workers: 4})
	for _, opts := range []features.BuildOptions{
		{AsOf: asOf, BatchRows: 7, Workers: 1},
		{AsOf: asOf, BatchRows: 7, Workers: 3},
		{AsOf: asOf, BatchRows: 1, Workers: 2},
	} {
		t.Run(fmt.Sprintf("batch%d-workers%d", opts.BatchRows, opts.Workers), func(t *testing.T) {
			got, _ := build(t, s, opts)
			if g, w := render(got), render(want); !bytes.Equal(g, w) {
				t.Errorf("rows differ:\n%s", lineDiff(string(w), string(g)))
			}
		})
	}
}

func TestBuildOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts features.BuildOptions
	}{
		{"zero as_of", features.BuildOptions{}},
		{"negative batch", features.BuildOptions{AsOf: asOf, BatchRows: -1}},
		{"negative workers", features.BuildOptions{AsOf: asOf, Workers: -2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := datasets.Open(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := features.Build(context.Background(), s, tc.opts, func(arrow.RecordBatch) error { return nil }); err == nil {
				t.Error("Build accepted bad options")
			}
		})
	}
}

// TestBuildEmpty: a workspace without inventory has no rows, and no error.
func TestBuildEmpty(t *testing.T) {
	s, err := datasets.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, st := build(t, s, features.BuildOptions{AsOf: asOf})
	if len(rows) != 0 || st.Assets != 0 {
		t.Errorf("got %d rows, want none", len(rows))
	}
}

// TestBuildEmitError: an error from emit stops the build and comes back.
func TestBuildEmitError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newWorkspace(t, mem)
	stop := fmt.Errorf("stop")
	calls := 0
	_, err := features.Build(context.Background(), s, features.BuildOptions{AsOf: asOf, BatchRows: 2}, func(arrow.RecordBatch) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Errorf("Build returned %v after %d calls, want the emit error after 1", err, calls)
	}
}

// TestBuildCancelled: a cancelled context stops the build with its error.
func TestBuildCancelled(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newWorkspace(t, mem)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := features.Build(ctx, s, features.BuildOptions{AsOf: asOf}, nopEmit); !errors.Is(err, context.Canceled) {
		t.Errorf("Build with a cancelled context returned %v, want context.Canceled", err)
	}
}

// TestBuildBadTable: a file of a table without the columns riskmap writes is an error that
// names the file and the column.
func TestBuildBadTable(t *testing.T) {
	for _, table := range []string{datasets.TableAssets, datasets.TableObservations, datasets.TableFindings} {
		t.Run(table, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s := newWorkspace(t, mem)
			sc := arrow.NewSchema([]arrow.Field{
				{Name: "snapshot_time", Type: datasets.Timestamp, Nullable: true},
				{Name: "scan_id", Type: arrow.BinaryTypes.String},
				{Name: "scan_time", Type: datasets.Timestamp, Nullable: true},
			}, nil)
			b := array.NewRecordBuilder(mem, sc)
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(day(1).UnixMicro()))
			b.Field(1).(*array.StringBuilder).Append("scan-1")
			b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(day(1).UnixMicro()))
			rec := b.NewRecordBatch()
			b.Release()
			w := writer(t, s)
			write(t, w, table, "day=2026-03-02", "odd", rec)
			w.Close()
			_, err := features.Build(context.Background(), s, features.BuildOptions{AsOf: asOf}, nopEmit)
			if err == nil || !strings.Contains(err.Error(), "odd.parquet") || !strings.Contains(err.Error(), "column") {
				t.Errorf("Build returned %v, want an error naming odd.parquet and a column", err)
			}
		})
	}
}
