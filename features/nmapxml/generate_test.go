package nmapxml_test

import (
	"bytes"
	"context"
	"flag"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/riskmap/riskmap/datasets/lab/netns"
)

var (
	update = flag.Bool("update", false,
		"rescan testdata/generated with the real nmap (inside a private network namespace) and rewrite the golden files")
	updateGolden = flag.Bool("update-golden", false, "rewrite the golden files only, without rescanning")
)

// TestMain runs the package's tests inside a private network namespace, where the fixture
// scans (only with -update) can touch nothing but the listeners they start.
func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

// The fixture scans: every address is one of ours on loopback, every TCP port one of the
// services' plus 23, closed on purpose; UDP 53 answers and 54 is closed on purpose.
const (
	tcpPorts  = "22,23,25,80,443"
	udpPorts  = "53,54"
	generated = "testdata/generated"
)

var scanIPs = []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}

var profiles = []struct {
	name string
	args []string
}{
	{"connect", []string{"-sT", "-p", tcpPorts}},
	{"version", []string{"-sV", "--version-light", "-p", tcpPorts}},
	{"udp", []string{"-sU", "-p", udpPorts}},
	// OS detection wants an open and a closed TCP port and a closed UDP one: name them all,
	// so that nmap never picks a port of its own.
	{"os", []string{"-O", "-sS", "-sU", "-p", "T:" + tcpPorts + ",U:54"}},
	{"scripts", []string{"-sC", "-p", tcpPorts}},
}

// generateFixtures starts the fake services, scans them with each profile and writes the
// XML to testdata/generated, plus a copy of the version scan cut in the middle of a host.
func generateFixtures(t *testing.T) {
	netns.Require(t)
	nmap, err := exec.LookPath("nmap")
	if err != nil {
		t.Fatalf("the fixtures need nmap: %v", err)
	}
	for _, ip := range scanIPs {
		if a, err := netip.ParseAddr(ip); err != nil || !netip.MustParsePrefix("127.0.0.0/8").Contains(a) {
			t.Fatalf("refusing to scan %s: fixtures scan only 127.0.0.0/8", ip)
		}
	}
	startServices(t)
	if err := os.MkdirAll(generated, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range profiles {
		out := filepath.Join(generated, p.name+".xml")
		args := append([]string{"-n", "-Pn", "--reason", "-T4", "--host-timeout", "90s", "-oX", out}, p.args...)
		args = append(args, scanIPs...)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		msg, err := exec.CommandContext(ctx, nmap, args...).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("nmap %v: %v\n%s", args, err, msg)
		}
		t.Logf("nmap %s: wrote %s", p.name, out)
	}
	raw, err := os.ReadFile(filepath.Join(generated, "version.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cut := middleOfSecondHost(raw)
	if cut < 0 {
		t.Fatalf("version.xml has fewer than two hosts to cut between")
	}
	if err := os.WriteFile(filepath.Join(generated, "version-truncated.xml"), raw[:cut], 0o644); err != nil {
		t.Fatal(err)
	}
	// What Windows PowerShell 5 writes for nmap -oX - ... > scan.xml: UTF-16LE with a BOM.
	raw, err = os.ReadFile(filepath.Join(generated, "connect.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(generated, "connect-utf16le.xml"), utf16LE(string(raw)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// utf16LE encodes s as UTF-16LE after a byte order mark.
func utf16LE(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// middleOfSecondHost returns an offset halfway through the second <host> element, or -1.
func middleOfSecondHost(raw []byte) int {
	first := bytes.Index(raw, []byte("<host "))
	if first < 0 {
		return -1
	}
	second := bytes.Index(raw[first+1:], []byte("<host "))
	if second < 0 {
		return -1
	}
	second += first + 1
	end := bytes.Index(raw[second:], []byte("</host>"))
	if end < 0 {
		return -1
	}
	return second + end/2
}
