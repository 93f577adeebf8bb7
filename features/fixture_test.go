// Over 400 lines: this is one hand-built workspace (every table, every edge the feature
// builder must get right) and the expected rows computed from it by hand; split, the
// fixture and its expectations would no longer read side by side.

package features_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// The hand-built workspace: two AWS inventory snapshots (t0, t0+10d) and one Azure
// snapshot (t0+2d), two scans (t0+1d deep, t0+12d standard) with hosts, observations,
// findings and diffs, a KEV table and two EPSS feeds (t0+5d and, after asOf, t0+30d).
var (
	t0   = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	asOf = t0.Add(20 * 24 * time.Hour)
)

func day(n float64) time.Time { return t0.Add(time.Duration(n * float64(24*time.Hour))) }

func inet(proto string, from, to int) riskmap.Exposure {
	return riskmap.Exposure{Proto: proto, FromPort: from, ToPort: to, Source: "0.0.0.0/0"}
}

func webAsset(id, private, public string, tags ...riskmap.Tag) riskmap.Asset {
	a := riskmap.Asset{
		ID: id, Provider: "aws", Account: "111", Region: "eu-west-1", Network: "vpc-1", Subnet: "sn-a",
		Kind: riskmap.KindVM, State: "running", Image: "ami-web", Group: "asg-web",
		SecurityGroups: []string{"sg-web"}, PrivateIPs: []string{private}, Tags: tags,
		LaunchedAt: day(-100), OSFamily: "linux",
		Exposed:              []riskmap.Exposure{inet("tcp", 22, 22), inet("tcp", 80, 80), inet("tcp", 443, 443)},
		InternetExposedPorts: []int{22, 80, 443},
	}
	if public != "" {
		a.PublicIPs = []string{public}
	}
	return a
}

func inventory(snapshot time.Time) []riskmap.Asset {
	web3 := webAsset("i-web3", "10.0.0.3", "")
	web3.Exposed = []riskmap.Exposure{{Proto: "tcp", FromPort: 443, ToPort: 443, Source: "sg-lb"}}
	web3.InternetExposedPorts = nil
	out := []riskmap.Asset{
		webAsset("i-web1", "10.0.0.1", "54.0.0.1", riskmap.Tag{Key: "env", Value: "prod"}, riskmap.Tag{Key: "Criticality", Value: "high"}),
		webAsset("i-web2", "10.0.0.2", "54.0.0.2", riskmap.Tag{Key: "Environment", Value: "production"}),
		web3,
		{
			ID: "i-db1", Provider: "aws", Account: "111", Subnet: "sn-b", Kind: riskmap.KindDB, State: "available",
			SecurityGroups: []string{"sg-db"}, PrivateIPs: []string{"10.0.1.1"},
			Tags:    []riskmap.Tag{{Key: "environment", Value: "staging"}, {Key: "criticality", Value: "critical"}},
			Exposed: []riskmap.Exposure{inet("tcp", 5432, 5432), {Proto: "tcp", FromPort: 6379, ToPort: 6379, Source: "::/0"}},
			// 5433 is allowed but no scan ever reports it: a predicted unscanned port
			InternetExposedPorts: []int{5432, 5433, 6379},
		},
		{
			ID: "i-win1", Provider: "aws", Account: "111", Subnet: "sn-a", Kind: riskmap.KindVM, State: "running",
			Image: "ami-win", SecurityGroups: []string{"sg-web", "sg-rdp"}, PrivateIPs: []string{"10.0.0.9"},
			Tags: []riskmap.Tag{{Key: "env", Value: "dev"}}, LaunchedAt: day(-3),
			Exposed: []riskmap.Exposure{
				inet("tcp", 3389, 3389), {Proto: "all", FromPort: 0, ToPort: 65535, Source: "10.0.0.0/8"},
				inet("udp", 500, 600),
			},
			InternetExposedPorts: []int{3389},
		},
	}
	if snapshot.Equal(t0) {
		// the first snapshot: i-web1 without tags, and i-gone, terminated before the second
		out[0].Tags = nil
		out = append(out, riskmap.Asset{ID: "i-gone", Provider: "aws", Account: "111", Kind: riskmap.KindVM, PrivateIPs: []string{"10.0.0.7"}})
	}
	for i := range out {
		out[i].SnapshotTime = snapshot
	}
	return out
}

func azure() []riskmap.Asset {
	return []riskmap.Asset{{
		SnapshotTime: day(2), ID: "vm-az1", Provider: "azure", Account: "sub-1", Kind: riskmap.KindVM,
		State: "VM running", Image: "ami-web", PrivateIPs: []string{"10.8.0.4"}, PublicIPs: []string{"20.1.1.1"},
		Exposed: []riskmap.Exposure{{Proto: "tcp", FromPort: 0, ToPort: 65535, Source: "Internet"}},
	}}
}

type port struct {
	n                                int
	state, service, product, version string
	tunnel                           string
	cpes                             []string
}

func open(n int, service, product, version string, cpes ...string) port {
	return port{n: n, state: "open", service: service, product: product, version: version, cpes: cpes}
}

// host is one host of a scan: its observations (by asset_id when id is set, else by ip).
type host struct {
	id, ip, status, os string
	ports              []port
	at                 time.Time // when it was scanned; zero means in turn from the scan's start
}

type scan struct {
	id      string
	started time.Time
	delay   time.Duration // from the start to the first host
	hosts   []host
	finds   []riskmap.Finding
	diffs   []riskmap.Diff
}

func scans() []scan {
	ssl := func(p port) port { p.tunnel = "ssl"; return p }
	closed := func(n int, service string) port { return port{n: n, state: "closed", service: service} }
	return []scan{
		{
			id: "scan-1", started: day(1),
			hosts: []host{
				{id: "i-web1", ip: "10.0.0.1", status: "up", ports: []port{
					open(22, "ssh", "OpenSSH", "7.4", "cpe:/a:openbsd:openssh:7.4"),
					open(80, "http", "Apache httpd", "2.4.49", "cpe:/a:apache:http_server:2.4.49"),
					ssl(open(443, "https", "nginx", "1.18.0", "cpe:/a:igor_sysoev:nginx:1.18.0")),
					closed(23, "telnet"),
				}},
				{id: "i-web2", ip: "10.0.0.2", status: "up", ports: []port{
					open(22, "ssh", "OpenSSH", "7.4", "cpe:/a:openbsd:openssh:7.4"),
					open(80, "http", "Apache httpd", "2.4.49", "cpe:/a:apache:http_server:2.4.49"),
					open(8080, "http-proxy", "", ""),
				}},
				{ip: "10.0.1.1", status: "up", ports: []port{ // joined by address
					open(5432, "postgresql", "PostgreSQL DB", "9.6.0"),
					open(6379, "redis", "Redis key-value store", "4.0.9"),
				}},
				{ip: "10.0.0.9", status: "up", os: "Microsoft Windows Server 2019", ports: []port{
					open(3389, "ms-wbt-server", "Microsoft Terminal Services", ""),
					open(445, "microsoft-ds", "", ""),
					open(139, "netbios-ssn", "Microsoft Windows netbios-ssn", ""),
				}},
				{ip: "10.9.9.9", status: "up", ports: []port{open(80, "http", "", "")}}, // no asset
			},
			finds: []riskmap.Finding{
				{AssetID: "i-db1", IP: "10.0.1.1", Port: 6379, RuleID: "redis-noauth", Severity: riskmap.SeverityHigh},
				{AssetID: "i-db1", IP: "10.0.1.1", Port: 5432, RuleID: "db-internet", Severity: riskmap.SeverityMedium},
				{AssetID: "i-web1", IP: "10.0.0.1", Port: 22, RuleID: "ssh-old", Severity: riskmap.SeverityLow, CVEs: []string{"CVE-2018-15473"}},
				{IP: "10.0.0.9", Port: 445, RuleID: "smb-exposed", Severity: riskmap.SeverityHigh, CVEs: []string{"cve-2017-0144"}},
			},
		},
		{
			id: "scan-2", started: day(12),
			hosts: []host{
				{id: "i-web1", ip: "10.0.0.1", status: "up", ports: []port{
					open(22, "ssh", "OpenSSH", "7.4", "cpe:/a:openbsd:openssh:7.4"),
					closed(80, "http"),
					ssl(open(443, "http", "nginx", "1.18.0", "cpe:/a:igor_sysoev:nginx:1.18.0")),
					open(9200, "wap-wsp", "", ""),
					open(25, "smtp", "Exim smtpd", "4.90", "cpe:/a:exim:exim:4.90"),
				}},
				{id: "i-web2", ip: "10.0.0.2", status: "up", ports: []port{
					open(22, "ssh", "OpenSSH", "7.4", "cpe:/a:openbsd:openssh:7.4"),
					open(80, "http", "Apache httpd", "2.4.51", "cpe:/a:apache:http_server:2.4.51"),
				}},
				{id: "i-db1", ip: "10.0.1.1", status: "up", ports: []port{
					open(5432, "postgresql", "PostgreSQL DB", "9.6.0"),
					open(6379, "redis", "Redis key-value store", "4.0.9"),
					open(27017, "mongodb", "MongoDB", "3.6.3"),
				}},
				{id: "i-win1", ip: "10.0.0.9", status: "down"},
			},
			finds: []riskmap.Finding{
				{AssetID: "i-db1", IP: "10.0.1.1", Port: 27017, RuleID: "mongo-noauth", Severity: riskmap.SeverityCritical},
				{AssetID: "i-db1", IP: "10.0.1.1", Port: 6379, RuleID: "redis-noauth", Severity: riskmap.SeverityHigh},
				{AssetID: "i-web2", IP: "10.0.0.2", Port: 80, RuleID: "http-banner", Severity: riskmap.SeverityInfo},
			},
			diffs: []riskmap.Diff{
				{AssetID: "i-web1", IP: "10.0.0.1", Port: 80, Proto: "tcp", Change: riskmap.ChangeClosedPort, Before: "open", After: "closed"},
				{AssetID: "i-web1", IP: "10.0.0.1", Port: 9200, Proto: "tcp", Change: riskmap.ChangeNewPort, After: "open"},
				{AssetID: "i-web1", IP: "10.0.0.1", Port: 25, Proto: "tcp", Change: riskmap.ChangeNewPort, After: "open"},
				{IP: "10.0.1.1", Port: 27017, Proto: "tcp", Change: riskmap.ChangeNewPort, After: "open"},
				{AssetID: "i-web2", IP: "10.0.0.2", Port: 80, Proto: "tcp", Change: riskmap.ChangeVersionChanged, Before: "2.4.49", After: "2.4.51"},
				{AssetID: "i-win1", IP: "10.0.0.9", Change: riskmap.ChangeHostGone},
			},
		},
	}
}

// writeScan writes one scan to the scans, hosts, observations, findings and diffs tables.
func writeScan(t testing.TB, w *datasets.Writer, mem memory.Allocator, sc scan) {
	t.Helper()
	part := "day=" + sc.started.Format("2006-01-02")
	var hosts []riskmap.Host
	var obs []riskmap.Observation
	for i, h := range sc.hosts {
		at := sc.started.Add(sc.delay + time.Duration(i)*time.Minute) // hosts are scanned one after another
		if !h.at.IsZero() {
			at = h.at
		}
		hosts = append(hosts, riskmap.Host{ScanID: sc.id, ScanTime: at, IP: h.ip, AssetID: h.id, Status: h.status, OSMatch: h.os})
		for _, p := range h.ports {
			obs = append(obs, riskmap.Observation{
				ScanID: sc.id, ScanTime: at, IP: h.ip, AssetID: h.id, Port: p.n, Proto: "tcp", State: p.state,
				Service: p.service, Product: p.product, Version: p.version, Tunnel: p.tunnel, CPEs: p.cpes,
			})
		}
	}
	write(t, w, datasets.TableScans, part, sc.id, datasets.ScansRecord(mem, []riskmap.Scan{{ID: sc.id, Started: sc.started, Finished: sc.started.Add(time.Hour), Complete: true}}))
	write(t, w, datasets.TableHosts, part, sc.id, datasets.HostsRecord(mem, hosts))
	if len(obs) > 0 {
		write(t, w, datasets.TableObservations, part, sc.id, datasets.ObservationsRecord(mem, obs))
	}
	if len(sc.finds) > 0 {
		for i := range sc.finds {
			if sc.finds[i].ScanID == "" {
				sc.finds[i].ScanID = sc.id
			}
		}
		write(t, w, datasets.TableFindings, part, sc.id, datasets.FindingsRecord(mem, sc.finds))
	}
	if len(sc.diffs) > 0 {
		for i := range sc.diffs {
			sc.diffs[i].ScanID, sc.diffs[i].BaselineScanID, sc.diffs[i].ScanTime = sc.id, "scan-1", sc.started
		}
		write(t, w, datasets.TableDiffs, part, sc.id, datasets.DiffsRecord(mem, sc.diffs))
	}
}

func write(t testing.TB, w *datasets.Writer, table, part, id string, rec arrow.RecordBatch) {
	t.Helper()
	defer rec.Release()
	if err := w.WriteTable(table, part, id, rec); err != nil {
		t.Fatal(err)
	}
}

type kevRow struct {
	cve, vendor, product string
	added                time.Time
}

func kevRecord(mem memory.Allocator, rows []kevRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, datasets.KEVSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.cve)
		b.Field(1).(*array.StringBuilder).Append(r.vendor)
		b.Field(2).(*array.StringBuilder).Append(r.product)
		b.Field(3).(*array.StringBuilder).Append(r.vendor + " " + r.product + " vulnerability")
		b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(r.added.UnixMicro()))
		b.Field(5).(*array.TimestampBuilder).AppendNull()
		b.Field(6).(*array.StringBuilder).Append("Unknown")
		b.Field(7).(*array.ListBuilder).AppendNull()
		b.Field(8).(*array.StringBuilder).Append("2026.03.01")
	}
	return b.NewRecordBatch()
}

type epssRow struct {
	cve  string
	epss float64
}

func epssRecord(mem memory.Allocator, scored time.Time, rows []epssRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, datasets.EPSSSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.cve)
		b.Field(1).(*array.Float64Builder).Append(r.epss)
		b.Field(2).(*array.Float64Builder).Append(0.9)
		b.Field(3).(*array.StringBuilder).Append("v2025.03.14")
		b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(scored.UnixMicro()))
	}
	return b.NewRecordBatch()
}

// template is the hand-built workspace, written once per test binary; every test works on a
// copy of it.
var template struct {
	once sync.Once
	dir  string
	ok   bool
}

func TestMain(m *testing.M) {
	code := m.Run()
	if template.dir != "" {
		os.RemoveAll(template.dir)
	}
	os.Exit(code)
}

// newWorkspace copies the hand-built workspace into a temporary directory and opens it with
// mem.
func newWorkspace(t testing.TB, mem memory.Allocator) *datasets.Store {
	t.Helper()
	template.once.Do(func() {
		dir, err := os.MkdirTemp("", "riskmap-features-fixture-")
		if err != nil {
			t.Fatal(err)
		}
		template.dir = dir
		writeWorkspace(t, dir)
		template.ok = true
	})
	if !template.ok {
		t.Fatal("the fixture workspace could not be written")
	}
	dst := t.TempDir()
	err := filepath.WalkDir(template.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(template.dir, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if d.Name() == ".lock" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := datasets.Open(dst, mem)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeWorkspace(t testing.TB, dir string) {
	mem := memory.DefaultAllocator
	s, err := datasets.Open(dir, mem)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	write(t, w, datasets.TableAssets, "day=2026-03-01", "aws-111-1", datasets.AssetsRecord(mem, inventory(t0)))
	write(t, w, datasets.TableAssets, "day=2026-03-11", "aws-111-2", datasets.AssetsRecord(mem, inventory(day(10))))
	write(t, w, datasets.TableAssets, "day=2026-03-03", "azure-sub-1", datasets.AssetsRecord(mem, azure()))
	for _, sc := range scans() {
		writeScan(t, w, mem, sc)
	}
	write(t, w, datasets.TableKEV, "", "kev-2026.03.01", kevRecord(mem, []kevRow{
		{"CVE-2021-41773", "Apache", "HTTP Server", time.Date(2021, 11, 3, 0, 0, 0, 0, time.UTC)},
		{"CVE-2011-2523", "vsftpd", "vsftpd", time.Date(2021, 11, 3, 0, 0, 0, 0, time.UTC)},
	}))
	write(t, w, datasets.TableEPSS, "day=2026-03-06", "epss-2026-03-06", epssRecord(mem, day(5), []epssRow{
		{"CVE-2021-41773", 0.94}, {"CVE-2018-15473", 0.5}, {"CVE-2017-0144", 0.97}, {"CVE-2019-10149", 0.97},
	}))
	write(t, w, datasets.TableEPSS, "day=2026-02-20", "epss-2026-02-20", epssRecord(mem, day(-9), []epssRow{
		{"CVE-2021-41773", 0.3},
	}))
}

// writer opens the workspace's writer for a test that adds to it.
func writer(t testing.TB, s *datasets.Store) *datasets.Writer {
	t.Helper()
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func nopEmit(arrow.RecordBatch) error { return nil }

// replaceColumn returns rec with every value of the named string column set to v, and
// releases rec.
func replaceColumn(t testing.TB, mem memory.Allocator, rec arrow.RecordBatch, name, v string) arrow.RecordBatch {
	t.Helper()
	defer rec.Release()
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %q", name)
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for i := 0; i < int(rec.NumRows()); i++ {
		b.Append(v)
	}
	col := b.NewArray()
	defer col.Release()
	cols := append([]arrow.Array(nil), rec.Columns()...)
	cols[idx[0]] = col
	return array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
}
