package features_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// The benchmark estate: one inventory snapshot of n assets, benchScans scans before asOf and
// one after it, observations spread so that their total is about obs. Images decide
// services, as in a real fleet; scans cover a random share of the assets.
const (
	benchScans = 8
	benchChunk = 250_000 // rows per Parquet file
)

var (
	benchT0   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	benchAsOf = benchT0.Add(10 * 24 * time.Hour)
)

// service is one entry of the catalog images draw from.
type service struct {
	port                                   int
	service, product, version, tunnel, cpe string
	risky                                  bool // findings rules flag it
}

var catalog = []service{
	{22, "ssh", "OpenSSH", "8.9p1", "", "cpe:/a:openbsd:openssh:8.9p1", false},
	{22, "ssh", "OpenSSH", "7.4", "", "cpe:/a:openbsd:openssh:7.4", false},
	{80, "http", "Apache httpd", "2.4.49", "", "cpe:/a:apache:http_server:2.4.49", false},
	{80, "http", "nginx", "1.18.0", "", "cpe:/a:igor_sysoev:nginx:1.18.0", false},
	{443, "https", "nginx", "1.18.0", "ssl", "cpe:/a:igor_sysoev:nginx:1.18.0", false},
	{3306, "mysql", "MySQL", "5.7.33", "", "cpe:/a:mysql:mysql:5.7.33", false},
	{5432, "postgresql", "PostgreSQL DB", "13.4", "", "cpe:/a:postgresql:postgresql:13.4", false},
	{6379, "redis", "Redis key-value store", "6.0.9", "", "", true},
	{9200, "http", "Elasticsearch REST API", "7.10.2", "", "cpe:/a:elastic:elasticsearch:7.10.2", true},
	{27017, "mongodb", "MongoDB", "4.4.6", "", "", true},
	{3389, "ms-wbt-server", "Microsoft Terminal Services", "", "", "", true},
	{445, "microsoft-ds", "", "", "", "", true},
	{21, "ftp", "vsftpd", "2.3.4", "", "cpe:/a:beasts:vsftpd:2.3.4", true},
	{23, "telnet", "Linux telnetd", "", "", "", true},
	{8080, "http-proxy", "", "", "", "", false},
	{11211, "memcached", "Memcached", "1.6.9", "", "", true},
	{2375, "docker", "Docker", "20.10.7", "", "", true},
	{25, "smtp", "Exim smtpd", "4.90", "", "cpe:/a:exim:exim:4.90", false},
}

type benchEstate struct {
	n, obs  int
	ids     []string
	ips     []string
	image   []int32
	ports   [][]int // catalog entries of each image
	scanIDs []string
	started []time.Time
}

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchWorkspace generates the estate into a workspace, or reuses the one in
// $RISKMAP_BENCH_DIR when it was generated with the same sizes.
func benchWorkspace(b *testing.B, n, obs int) *datasets.Store {
	b.Helper()
	dir := os.Getenv("RISKMAP_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else {
		dir = filepath.Join(dir, fmt.Sprintf("assets%d-obs%d", n, obs))
	}
	marker := filepath.Join(dir, "generated")
	s, err := datasets.Open(dir, memory.DefaultAllocator)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		return s
	}
	start := time.Now()
	e := newBenchEstate(n, obs)
	w, err := s.Writer()
	if err != nil {
		b.Fatal(err)
	}
	e.write(b, w)
	w.Close()
	if err := os.WriteFile(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d assets, about %d observations in %s (%s)", n, obs, time.Since(start).Round(time.Second), dir)
	return s
}

func newBenchEstate(n, obs int) *benchEstate {
	r := rand.New(rand.NewPCG(1, 2))
	e := &benchEstate{n: n, obs: obs}
	images := max(n/200, 1)
	for i := 0; i < images; i++ {
		k := 2 + r.IntN(5)
		seen := map[int]bool{}
		var ps []int
		for len(ps) < k {
			c := r.IntN(len(catalog))
			if !seen[catalog[c].port] {
				seen[catalog[c].port] = true
				ps = append(ps, c)
			}
		}
		e.ports = append(e.ports, ps)
	}
	for i := 0; i < n; i++ {
		e.ids = append(e.ids, fmt.Sprintf("i-%08x", i))
		e.ips = append(e.ips, fmt.Sprintf("10.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff))
		e.image = append(e.image, int32(r.IntN(images)))
	}
	for s := 0; s <= benchScans; s++ {
		at := benchT0.Add(time.Duration(s+1) * 24 * time.Hour)
		if s == benchScans {
			at = benchAsOf.Add(24 * time.Hour) // the scan after asOf
		}
		e.scanIDs = append(e.scanIDs, fmt.Sprintf("bench-scan-%02d", s))
		e.started = append(e.started, at)
	}
	return e
}

func (e *benchEstate) write(b *testing.B, w *datasets.Writer) {
	mem := memory.DefaultAllocator
	r := rand.New(rand.NewPCG(3, 4))
	envs := []string{"prod", "staging", "dev", "production", ""}
	crit := []string{"low", "medium", "high", "critical", ""}
	var assets []riskmap.Asset
	flush := func(part int) {
		write(b, w, datasets.TableAssets, "day=2026-01-01", fmt.Sprintf("assets-%03d", part), datasets.AssetsRecord(mem, assets))
		assets = assets[:0]
	}
	for i := 0; i < e.n; i++ {
		a := riskmap.Asset{
			SnapshotTime: benchT0, ID: e.ids[i], Provider: "aws", Account: "123456789012", Region: "eu-west-1",
			Network: "vpc-1", Subnet: fmt.Sprintf("subnet-%d", i/250), Kind: riskmap.KindVM, State: "running",
			Image: fmt.Sprintf("ami-%05d", e.image[i]), Group: fmt.Sprintf("asg-%d", i/50),
			SecurityGroups: []string{fmt.Sprintf("sg-%d", i/100)}, PrivateIPs: []string{e.ips[i]},
			Tags:       []riskmap.Tag{{Key: "env", Value: envs[r.IntN(len(envs))]}, {Key: "criticality", Value: crit[r.IntN(len(crit))]}},
			LaunchedAt: benchT0.Add(-time.Duration(r.IntN(1000)) * time.Hour), OSFamily: "linux",
		}
		for _, c := range e.ports[e.image[i]] {
			src := "10.0.0.0/8"
			if r.IntN(4) == 0 {
				src = "0.0.0.0/0"
				a.InternetExposedPorts = append(a.InternetExposedPorts, catalog[c].port)
			}
			a.Exposed = append(a.Exposed, riskmap.Exposure{Proto: "tcp", FromPort: catalog[c].port, ToPort: catalog[c].port, Source: src})
		}
		if r.IntN(10) < 3 {
			a.PublicIPs = []string{fmt.Sprintf("54.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff)}
		}
		assets = append(assets, a)
		if len(assets) == 100_000 {
			flush(i / 100_000)
		}
	}
	if len(assets) > 0 {
		flush(e.n / 100_000)
	}

	avg := 0.0
	for _, ps := range e.ports {
		avg += float64(len(ps))
	}
	avg /= float64(len(e.ports))
	cover := min(float64(e.obs)/(float64(e.n)*benchScans*avg), 1)
	var prev [][]bool // ports of each asset open in its previous scan (for diffs)
	prev = make([][]bool, e.n)
	for s, id := range e.scanIDs {
		e.writeScan(b, w, r, s, id, cover, prev)
	}
}

// writeScan writes one scan's rows in files of benchChunk rows.
func (e *benchEstate) writeScan(b *testing.B, w *datasets.Writer, r *rand.Rand, s int, id string, cover float64, prev [][]bool) {
	mem := memory.DefaultAllocator
	part := "day=" + e.started[s].Format("2006-01-02")
	write(b, w, datasets.TableScans, part, id, datasets.ScansRecord(mem, []riskmap.Scan{{
		ID: id, Started: e.started[s], Finished: e.started[s].Add(6 * time.Hour), Profile: "standard", Complete: true,
	}}))
	var (
		obs   []riskmap.Observation
		hosts []riskmap.Host
		finds []riskmap.Finding
		diffs []riskmap.Diff
		files int
	)
	flushObs := func() {
		if len(obs) > 0 {
			write(b, w, datasets.TableObservations, part, fmt.Sprintf("%s-%03d", id, files), datasets.ObservationsRecord(mem, obs))
			files++
			obs = obs[:0]
		}
	}
	severities := []riskmap.Severity{riskmap.SeverityHigh, riskmap.SeverityCritical, riskmap.SeverityMedium}
	for i := 0; i < e.n; i++ {
		if r.Float64() >= cover {
			continue
		}
		at := e.started[s].Add(time.Duration(i) * time.Millisecond * 10)
		status := "up"
		if r.IntN(50) == 0 {
			status = "down"
		}
		hosts = append(hosts, riskmap.Host{ScanID: id, ScanTime: at, IP: e.ips[i], AssetID: e.ids[i], Status: status})
		if status != "up" {
			continue
		}
		ps := e.ports[e.image[i]]
		openNow := make([]bool, len(ps))
		for k, c := range ps {
			sv := catalog[c]
			state := "open"
			if r.IntN(10) == 0 {
				state = "closed"
			}
			openNow[k] = state == "open"
			o := riskmap.Observation{ScanID: id, ScanTime: at, IP: e.ips[i], AssetID: e.ids[i], Port: sv.port, Proto: "tcp", State: state, Reason: "syn-ack"}
			if state == "open" {
				o.Service, o.Product, o.Version, o.Tunnel = sv.service, sv.product, sv.version, sv.tunnel
				if sv.cpe != "" {
					o.CPEs = []string{sv.cpe}
				}
				if sv.risky && r.IntN(2) == 0 {
					finds = append(finds, riskmap.Finding{ScanID: id, AssetID: e.ids[i], IP: e.ips[i], Port: sv.port, Proto: "tcp",
						RuleID: sv.service + "-exposed", Severity: severities[r.IntN(len(severities))], Title: sv.service + " exposed"})
				} else if sv.service == "http" && r.IntN(5) == 0 {
					finds = append(finds, riskmap.Finding{ScanID: id, AssetID: e.ids[i], IP: e.ips[i], Port: sv.port, Proto: "tcp",
						RuleID: "http-banner", Severity: riskmap.SeverityInfo, Title: "http banner"})
				}
			}
			if p := prev[i]; p != nil && p[k] != openNow[k] {
				change := riskmap.ChangeNewPort
				if !openNow[k] {
					change = riskmap.ChangeClosedPort
				}
				diffs = append(diffs, riskmap.Diff{AssetID: e.ids[i], IP: e.ips[i], Port: sv.port, Proto: "tcp", Change: change,
					ScanID: id, BaselineScanID: "previous", ScanTime: e.started[s]})
			}
			obs = append(obs, o)
			if len(obs) == benchChunk {
				flushObs()
			}
		}
		prev[i] = openNow
	}
	flushObs()
	for k := 0; k < len(hosts); k += benchChunk {
		write(b, w, datasets.TableHosts, part, fmt.Sprintf("%s-%03d", id, k/benchChunk), datasets.HostsRecord(mem, hosts[k:min(k+benchChunk, len(hosts))]))
	}
	if len(finds) > 0 {
		write(b, w, datasets.TableFindings, part, id, datasets.FindingsRecord(mem, finds))
	}
	if len(diffs) > 0 {
		write(b, w, datasets.TableDiffs, part, id, datasets.DiffsRecord(mem, diffs))
	}
}
