package nmapxml_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	nmap "github.com/Ullaakut/nmap/v3"
	"github.com/riskmap/riskmap/features/nmapxml"
)

const benchHosts = 100_000

// synthetic holds the benchmark scan, generated once per process (it takes seconds).
var synthetic = sync.OnceValues(func() ([]byte, error) {
	var b bytes.Buffer
	err := nmapxml.WriteSynthetic(&b, benchHosts, 1)
	return b.Bytes(), err
})

// pythonWalk parses the file with ElementTree (expat underneath) and visits every host and
// port, as a Python importer would; it prints its own time, without the interpreter start.
const pythonWalk = `
import sys, time
import xml.etree.ElementTree as ET
t = time.perf_counter()
root = ET.parse(sys.argv[1]).getroot()
hosts = ports = opened = 0
for h in root.iter("host"):
    hosts += 1
    for p in h.iter("port"):
        ports += 1
        s = p.find("state")
        if s is not None and s.get("state") == "open":
            opened += 1
print(time.perf_counter() - t, hosts, ports, opened)
`

// pythonSeconds runs the Python walk once per process and caches the answer.
var pythonSeconds = sync.OnceValues(func() (float64, error) {
	raw, err := synthetic()
	if err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "nmapxml-bench")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "synthetic.xml")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return 0, err
	}
	out, err := exec.Command("/usr/bin/python3", "-c", pythonWalk, path).Output()
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(out))
	if len(f) != 4 {
		return 0, os.ErrInvalid
	}
	return strconv.ParseFloat(f[0], 64)
})

// BenchmarkParse parses a 100,000-host synthetic scan (written to and read back from a
// file) and reports hosts/s; when /usr/bin/python3 is there it also reports the seconds
// Python's ElementTree takes to parse and walk the same file, and how many times faster
// Parse is.
func BenchmarkParse(b *testing.B) {
	raw, err := synthetic()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "synthetic.xml")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		b.Fatal(err)
	}
	if raw, err = os.ReadFile(path); err != nil {
		b.Fatal(err)
	}
	py, pyErr := pythonSeconds()
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	var hosts int
	for range b.N {
		res, err := nmapxml.Parse(raw, nmapxml.Options{Source: "synthetic.xml"})
		if err != nil {
			b.Fatal(err)
		}
		hosts = len(res.Hosts)
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(hosts)/sec, "hosts/s")
	if pyErr != nil {
		b.Logf("no Python comparison: %v", pyErr)
		return
	}
	b.ReportMetric(py, "python_s")
	b.ReportMetric(py/sec, "x_vs_python")
}

// BenchmarkEncodingXML is the yardstick: github.com/Ullaakut/nmap/v3's Parse (encoding/xml
// into its Run type) on a tenth of the same scan, in hosts/s to compare with BenchmarkParse.
func BenchmarkEncodingXML(b *testing.B) {
	var buf bytes.Buffer
	if err := nmapxml.WriteSynthetic(&buf, benchHosts/10, 1); err != nil {
		b.Fatal(err)
	}
	raw := buf.Bytes()
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	var hosts int
	for range b.N {
		var run nmap.Run
		if err := nmap.Parse(raw, &run); err != nil {
			b.Fatal(err)
		}
		hosts = len(run.Hosts)
	}
	b.ReportMetric(float64(hosts)/(b.Elapsed().Seconds()/float64(b.N)), "hosts/s")
}
