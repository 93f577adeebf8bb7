package features_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
	"github.com/riskmap/riskmap/features/intel"
)

// later is a scan started an hour after asOf: it opens telnet and MySQL, finds a critical
// on i-web3 and i-web2, and diffs i-web1.
func later() scan {
	return scan{
		id: "scan-3", started: asOf.Add(time.Hour),
		hosts: []host{
			{id: "i-web3", ip: "10.0.0.3", status: "up", ports: []port{open(23, "telnet", "Linux telnetd", "")}},
			{id: "i-web1", ip: "10.0.0.1", status: "up", ports: []port{open(3306, "mysql", "MySQL", "5.5.1")}},
			{ip: "10.0.0.2", status: "up", ports: []port{open(80, "http", "Apache httpd", "2.4.49", "cpe:/a:apache:http_server:2.4.49")}},
		},
		finds: []riskmap.Finding{
			{AssetID: "i-web3", IP: "10.0.0.3", Port: 23, RuleID: "telnet", Severity: riskmap.SeverityCritical},
			{IP: "10.0.0.2", Port: 80, RuleID: "apache-kev", Severity: riskmap.SeverityCritical, CVEs: []string{"CVE-2021-41773"}},
		},
		diffs: []riskmap.Diff{
			{AssetID: "i-web1", IP: "10.0.0.1", Port: 3306, Proto: "tcp", Change: riskmap.ChangeNewPort, After: "open"},
		},
	}
}

// TestNoLeakage adds to the workspace, one at a time, everything that happened after asOf
// and checks that the features as of asOf stay the same, byte for byte. Each addition must
// change the features at a later time, or it would prove nothing.
func TestNoLeakage(t *testing.T) {
	exim := kevRow{"CVE-2019-10149", "Exim", "Exim", asOf.Add(24 * time.Hour)}
	for _, tc := range []struct {
		name  string
		add   func(t *testing.T, s *datasets.Store, w *datasets.Writer)
		opts  func(o *features.BuildOptions)
		after time.Time // a time at which the addition shows
	}{
		{
			name:  "scan, findings and diffs after as_of",
			add:   func(t *testing.T, s *datasets.Store, w *datasets.Writer) { writeScan(t, w, s.Allocator(), later()) },
			after: asOf.Add(2 * time.Hour),
		},
		{
			name: "hosts scanned after as_of by a scan that started before",
			add: func(t *testing.T, s *datasets.Store, w *datasets.Writer) {
				sc := later()
				// it started a minute before asOf, reached its first host a minute after, and
				// its findings and diffs came at its end
				sc.id, sc.started, sc.delay = "scan-long", asOf.Add(-time.Minute), 2*time.Minute
				sc.hosts = append([]host{{id: "i-db1", ip: "10.0.1.1", status: "up"}, {id: "i-win1", ip: "10.0.0.9", status: "up"}}, sc.hosts...)
				// An early row of an address no asset has keeps footers from skipping the
				// files, so that the row checks are what keeps the late rows out.
				sc.hosts = append(sc.hosts, host{ip: "10.9.9.9", status: "up", at: day(1), ports: []port{open(21, "ftp", "", "")}})
				sc.finds = append(sc.finds, riskmap.Finding{ScanID: "scan-1", IP: "10.9.9.9", RuleID: "x", Severity: riskmap.SeverityInfo})
				writeScan(t, w, s.Allocator(), sc)
			},
			after: asOf.Add(2 * time.Hour),
		},
		{
			// Footers cannot skip these files: each mixes an early row (of an address no
			// asset has, so it changes nothing) with rows after asOf, which only the row
			// checks keep out.
			name: "rows after as_of in files that also hold earlier rows",
			add: func(t *testing.T, s *datasets.Store, w *datasets.Writer) {
				mem := s.Allocator()
				late, early := asOf.Add(time.Hour), day(1)
				write(t, w, datasets.TableScans, "day=2026-03-21", "scan-3", datasets.ScansRecord(mem, []riskmap.Scan{{ID: "scan-3", Started: late, Finished: late.Add(time.Hour)}}))
				write(t, w, datasets.TableHosts, "day=2026-03-21", "mixed", datasets.HostsRecord(mem, []riskmap.Host{
					{ScanID: "scan-1", ScanTime: early, IP: "10.9.9.9", Status: "up"},
					{ScanID: "scan-3", ScanTime: late, IP: "10.0.0.3", AssetID: "i-web3", Status: "up", OSMatch: "Microsoft Windows 10"},
				}))
				write(t, w, datasets.TableObservations, "day=2026-03-21", "mixed", datasets.ObservationsRecord(mem, []riskmap.Observation{
					{ScanID: "scan-1", ScanTime: early, IP: "10.9.9.9", Port: 21, Proto: "tcp", State: "open", Service: "ftp"},
					{ScanID: "scan-3", ScanTime: late, IP: "10.0.0.3", AssetID: "i-web3", Port: 23, Proto: "tcp", State: "open", Service: "telnet"},
				}))
				write(t, w, datasets.TableFindings, "day=2026-03-21", "mixed", datasets.FindingsRecord(mem, []riskmap.Finding{
					{ScanID: "scan-1", IP: "10.9.9.9", Port: 21, RuleID: "ftp", Severity: riskmap.SeverityInfo},
					{ScanID: "scan-3", AssetID: "i-web3", IP: "10.0.0.3", Port: 23, RuleID: "telnet", Severity: riskmap.SeverityCritical},
				}))
				write(t, w, datasets.TableDiffs, "day=2026-03-21", "mixed", datasets.DiffsRecord(mem, []riskmap.Diff{
					{ScanID: "scan-1", ScanTime: early, IP: "10.9.9.9", Port: 21, Change: riskmap.ChangeNewPort},
					{ScanID: "scan-3", ScanTime: late, AssetID: "i-web1", IP: "10.0.0.1", Port: 8443, Change: riskmap.ChangeNewPort},
				}))
			},
			after: asOf.Add(3 * time.Hour),
		},
		{
			name: "inventory snapshot after as_of",
			add: func(t *testing.T, s *datasets.Store, w *datasets.Writer) {
				assets := inventory(asOf.Add(time.Hour))
				assets[0].Tags = []riskmap.Tag{{Key: "env", Value: "dev"}}
				assets[1].PublicIPs = nil
				assets = append(assets, riskmap.Asset{SnapshotTime: asOf.Add(time.Hour), ID: "i-new", Provider: "aws", Account: "111", Kind: riskmap.KindLB})
				write(t, w, datasets.TableAssets, "day=2026-03-21", "aws-111-3", datasets.AssetsRecord(s.Allocator(), assets))
			},
			after: asOf.Add(2 * time.Hour),
		},
		{
			name: "KEV entry added after as_of (kev table)",
			add: func(t *testing.T, s *datasets.Store, w *datasets.Writer) {
				write(t, w, datasets.TableKEV, "", "kev-2026.03.22", kevRecord(s.Allocator(), []kevRow{exim}))
			},
			after: asOf.Add(48 * time.Hour),
		},
		{
			name: "KEV entry added after as_of (BuildOptions.KEV)",
			opts: func(o *features.BuildOptions) {
				o.KEV = &intel.KEV{Entries: []intel.KEVEntry{
					{CVE: "CVE-2021-41773", VendorProject: "Apache", Product: "HTTP Server", DateAdded: time.Date(2021, 11, 3, 0, 0, 0, 0, time.UTC)},
					{CVE: exim.cve, VendorProject: exim.vendor, Product: exim.product, DateAdded: exim.added},
				}}
			},
			after: asOf.Add(48 * time.Hour),
		},
		{
			name: "EPSS feed scored after as_of",
			add: func(t *testing.T, s *datasets.Store, w *datasets.Writer) {
				write(t, w, datasets.TableEPSS, "day=2026-03-31", "epss-2026-03-31", epssRecord(s.Allocator(), day(30), []epssRow{
					{"CVE-2021-41773", 0.1}, {"CVE-2018-15473", 0.9}, {"CVE-2017-0144", 0.2},
				}))
			},
			after: day(31),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s := newWorkspace(t, mem)
			base := features.BuildOptions{AsOf: asOf}
			beforeAt, _ := build(t, s, base)
			beforeLater, _ := build(t, s, features.BuildOptions{AsOf: tc.after})
			opts := base
			if tc.add != nil {
				w := writer(t, s)
				tc.add(t, s, w)
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if tc.opts != nil {
				tc.opts(&opts)
			}
			got, _ := build(t, s, opts)
			if g, w := render(got), render(beforeAt); !bytes.Equal(g, w) {
				t.Errorf("features as of %s changed:\n%s", asOf.Format(time.RFC3339), lineDiff(string(w), string(g)))
			}
			laterOpts := opts
			laterOpts.AsOf = tc.after
			afterLater, _ := build(t, s, laterOpts)
			if bytes.Equal(render(afterLater), render(beforeLater)) {
				t.Errorf("the addition changes nothing at %s either: the test proves nothing", tc.after.Format(time.RFC3339))
			}
		})
	}
}

// TestNeighbourhoodLeaveOneOut: a serious finding on i-web2 raises the neighbourhood shares
// of its siblings, never its own.
func TestNeighbourhoodLeaveOneOut(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := newWorkspace(t, mem)
	before, _ := build(t, s, features.BuildOptions{AsOf: asOf})
	w := writer(t, s)
	sc := scan{id: "scan-web2", started: day(13), hosts: []host{{id: "i-web2", ip: "10.0.0.2", status: "up"}},
		finds: []riskmap.Finding{{AssetID: "i-web2", IP: "10.0.0.2", Port: 80, RuleID: "apache-kev", Severity: riskmap.SeverityCritical}}}
	writeScan(t, w, s.Allocator(), sc)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	after, _ := build(t, s, features.BuildOptions{AsOf: asOf})
	nbr := []string{"nbr_image_serious", "nbr_group_serious", "nbr_sg_serious", "nbr_subnet_serious"}
	for _, name := range nbr {
		t.Run("own/"+name, func(t *testing.T) {
			if b, a := value(t, before, "i-web2", name), value(t, after, "i-web2", name); a != b {
				t.Errorf("i-web2's own finding moved its %s from %g to %g", name, b, a)
			}
		})
		t.Run("sibling/"+name, func(t *testing.T) {
			if b, a := value(t, before, "i-web1", name), value(t, after, "i-web1", name); a <= b {
				t.Errorf("i-web2's finding left i-web1's %s at %g (was %g), want it higher", name, a, b)
			}
		})
	}
	for _, tc := range []struct {
		id, name string
		want     float32
	}{
		{"i-web1", "nbr_image_serious", 1.0 / 3}, // i-web2 of i-web2, i-web3, vm-az1
		{"i-web1", "nbr_group_serious", 0.5},     // i-web2 of i-web2, i-web3
		{"i-web1", "nbr_subnet_serious", 2.0 / 3},
		{"i-web2", "serious_scans", 1},
	} {
		if got := value(t, after, tc.id, tc.name); got != tc.want {
			t.Errorf("%s of %s = %g, want %g", tc.name, tc.id, got, tc.want)
		}
	}
}
