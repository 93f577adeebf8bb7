package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/riskmap/riskmap/features/nmapxml"
)

// BenchmarkIngestRSS measures the peak resident memory of `riskmap ingest nmap` (run as its
// own process, so that the figure is the ingest's alone) on two files it generates:
//
//   - a synthetic scan of RISKMAP_BENCH_INGEST_HOSTS hosts (default 1,000,000; the bench
//     script's quick mode uses 100,000), several open ports each with versions, CPEs and
//     scripts;
//   - a small scan whose one script output attribute is RISKMAP_BENCH_ATTR_MB MiB (default
//     200), which the parser cuts at its attribute limit.
//
// It reports the peak RSS in MB of each (rss_MB_hosts, rss_MB_attr), the files' sizes, the
// ratio of RSS to file size, and the wall time; the peer is the file itself: a reader that
// only holds the bytes costs file_MB.
func BenchmarkIngestRSS(b *testing.B) {
	hosts := envInt("RISKMAP_BENCH_INGEST_HOSTS", 1_000_000)
	attrMB := envInt("RISKMAP_BENCH_ATTR_MB", 200)
	dir := b.TempDir()
	big := filepath.Join(dir, "hosts.xml")
	if err := writeFile(big, func(w *bufio.Writer) error { return nmapxml.WriteSynthetic(w, hosts, 1) }); err != nil {
		b.Fatal(err)
	}
	attr := filepath.Join(dir, "attr.xml")
	if err := writeFile(attr, func(w *bufio.Writer) error { return writeHugeAttr(w, attrMB<<20) }); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range []struct{ name, file string }{{"hosts", big}, {"attr", attr}} {
			rss, wall := ingestChild(b, filepath.Join(dir, fmt.Sprintf("ws-%s-%d", c.name, i)), c.file)
			st, _ := os.Stat(c.file)
			fileMB := float64(st.Size()) / 1e6
			b.ReportMetric(rss, "rss_MB_"+c.name)
			b.ReportMetric(fileMB, "file_MB_"+c.name)
			b.ReportMetric(rss/fileMB, "rss_per_file_"+c.name)
			b.ReportMetric(wall, "s_"+c.name)
		}
	}
}

// ingestChild runs `riskmap ingest nmap file` in a child process on a fresh workspace and
// returns its peak RSS in MB and its wall time in seconds.
func ingestChild(b *testing.B, ws, file string) (float64, float64) {
	cmd := exec.Command(os.Args[0], "ingest", "nmap", file)
	cmd.Env = append(os.Environ(), "RISKMAP_TEST_AS_CLI=1", "RISKMAP_WORKSPACE="+ws)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start).Seconds()
	if err != nil {
		b.Fatalf("ingest %s: %v\n%s", file, err, tail(out))
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		b.Fatal("no rusage")
	}
	return float64(ru.Maxrss) * 1024 / 1e6, wall // Maxrss is in KiB on Linux
}

func tail(b []byte) string {
	s := string(b)
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

func writeFile(path string, fill func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// writeHugeAttr writes a one-host scan whose port carries a script output attribute of n
// bytes (what a broken or hostile NSE script can print).
func writeHugeAttr(w *bufio.Writer, n int) error {
	fmt.Fprintf(w, `<?xml version="1.0"?>
<nmaprun scanner="nmap" args="nmap -sV 127.0.0.2" start="1700000000" version="7.93">
<host><status state="up" reason="syn-ack"/><address addr="127.0.0.2" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack"/><service name="http"/><script id="http-title" output="`)
	chunk := strings.Repeat("A", 1<<16)
	for n > 0 {
		k := min(n, len(chunk))
		w.WriteString(chunk[:k])
		n -= k
	}
	_, err := w.WriteString(`"/></port></ports></host>
<runstats><finished time="1700000100" exit="success"/><hosts up="1" down="0" total="1"/></runstats>
</nmaprun>
`)
	return err
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
