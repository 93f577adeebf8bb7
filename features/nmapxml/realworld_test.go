package nmapxml_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/features/nmapxml"
)

// parseFile parses testdata/realworld/name, failing the test on error.
func parseFile(t *testing.T, name string) *nmapxml.Result {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "realworld", name))
	if err != nil {
		t.Fatal(err)
	}
	r, err := nmapxml.Parse(raw, nmapxml.Options{Source: name})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return r
}

// TestDoctypeExternalID: nmap 5.x and 6.x wrote a public and system identifier after the
// document type name; such files are read (the DTD is never fetched), with their host.
func TestDoctypeExternalID(t *testing.T) {
	for _, name := range []string{"doctype-public.xml", "doctype-public-multiline.xml", "doctype-system.xml"} {
		t.Run(name, func(t *testing.T) {
			r := parseFile(t, name)
			if !r.Scan.Complete && name != "doctype-system.xml" {
				t.Errorf("Complete = false; warnings %q", r.Warnings)
			}
			if name != "doctype-system.xml" && (len(r.Hosts) != 1 || len(r.Observations) != 1 || r.Observations[0].Product != "OpenSSH") {
				t.Errorf("hosts %+v, observations %+v", r.Hosts, r.Observations)
			}
		})
	}
	// What follows the identifier decides: an internal subset is still refused.
	for _, tt := range []struct{ name, doctype string }{
		{"public then subset", `<!DOCTYPE nmaprun PUBLIC "a" "b" [<!ENTITY x "y">]>`},
		{"system then subset", `<!DOCTYPE nmaprun SYSTEM "b"[]>`},
		{"public with one literal", `<!DOCTYPE nmaprun PUBLIC "a">`},
		{"unquoted literal", `<!DOCTYPE nmaprun SYSTEM b>`},
		{"other keyword", `<!DOCTYPE nmaprun PRIVATE "a" "b">`},
		{"overlong literal", `<!DOCTYPE nmaprun SYSTEM "` + strings.Repeat("a", 2000) + `">`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(`<?xml version="1.0"?>` + "\n" + tt.doctype + "\n" + `<nmaprun><runstats/></nmaprun>`)
			_, err := nmapxml.Parse(raw, nmapxml.Options{Source: "x.xml"})
			if !errors.Is(err, nmapxml.ErrEntity) || !strings.Contains(err.Error(), "x.xml: line 2:") {
				t.Errorf("error %v, want ErrEntity on line 2", err)
			}
		})
	}
}

// TestNonIPAddress: hosts whose addr is not an IP keep their ports under a placeholder that
// names them, is stable for the file, and is not an address.
func TestNonIPAddress(t *testing.T) {
	r := parseFile(t, "nonip-hosts.xml")
	want := []string{"192.0.2.10", "noip:1:IP", "noip:2:x.x.x.x", "noip:3:web1.example.com"}
	if len(r.Hosts) != len(want) {
		t.Fatalf("%d hosts %+v, want %d", len(r.Hosts), r.Hosts, len(want))
	}
	for i, w := range want {
		if r.Hosts[i].IP != w {
			t.Errorf("host %d IP = %q, want %q", i, r.Hosts[i].IP, w)
		}
	}
	ports := map[string][]int{}
	for _, o := range r.Observations {
		ports[o.IP] = append(ports[o.IP], o.Port)
	}
	if got := ports["noip:1:IP"]; len(got) != 2 || got[0] != 80 || got[1] != 443 {
		t.Errorf("ports of noip:1:IP = %v, want [80 443]", got)
	}
	if got := ports["noip:3:web1.example.com"]; len(got) != 1 || got[0] != 8080 {
		t.Errorf("ports of the named host = %v, want [8080]", got)
	}
	for _, w := range want[1:] {
		if !nmapxml.IsPlaceholder(w) {
			t.Errorf("IsPlaceholder(%q) = false", w)
		}
		if _, err := netip.ParseAddr(w); err == nil {
			t.Errorf("%q parses as an address", w)
		}
	}
	wantWarning(t, r, `nonip-hosts.xml: line 11: host address "IP" is not an IP address: the host and its 2 port(s) are kept as noip:1:IP, a placeholder that is never a scan target`)
	wantWarning(t, r, `line 22: host address "web1.example.com" is not an IP address`)
	// The same file gives the same identities.
	again := parseFile(t, "nonip-hosts.xml")
	for i := range r.Hosts {
		if again.Hosts[i].IP != r.Hosts[i].IP {
			t.Errorf("second parse: host %d is %q, first %q", i, again.Hosts[i].IP, r.Hosts[i].IP)
		}
	}
}

// TestInvalidBytes: garbage bytes are read past, and a warning names the line and markup.
func TestInvalidBytes(t *testing.T) {
	r := parseFile(t, "invalid-bytes.xml")
	if len(r.Hosts) != 1 || len(r.Observations) != 1 {
		t.Fatalf("hosts %+v", r.Hosts)
	}
	wantWarning(t, r, "invalid-bytes.xml: line 5: 4 byte sequence(s) that are not UTF-8 or not XML characters, the first here in attribute extrainfo of <taskbegin>")

	r = parseFile(t, "invalid-bytes-kept.xml")
	if got := r.Observations[0].Product; got != "Open\uFFFDSSH" {
		t.Errorf("Product = %q, want the bad byte as U+FFFD", got)
	}
	wantWarning(t, r, "line 7: 1 byte sequence(s) that are not UTF-8 or not XML characters, the first here in attribute product of <service>")

	clean := parseFile(t, "doctype-public.xml")
	for _, w := range clean.Warnings {
		if strings.Contains(w, "not UTF-8") {
			t.Errorf("clean file warned %q", w)
		}
	}
}

// TestDuplicatePort: each repeat says which was kept and why, and one observation remains.
func TestDuplicatePort(t *testing.T) {
	r := parseFile(t, "dup-port.xml")
	got := map[string]string{}
	for _, o := range r.Observations {
		got[o.Proto+"/"+strconv.Itoa(o.Port)] = o.State + " " + o.Product
	}
	if len(r.Observations) != 3 || got["tcp/80"] != "open " || got["tcp/443"] != "open nginx" || got["udp/53"] != "open " {
		t.Errorf("observations %v (%d), want one per port: 80 open, 443 with nginx, 53", got, len(r.Observations))
	}
	wantWarning(t, r, `line 8: host 192.0.2.20 lists 80/tcp twice (lines 7 and 8); kept the one on line 8: its state "open" says more than "closed"`)
	wantWarning(t, r, "line 10: host 192.0.2.20 lists 443/tcp twice (lines 9 and 10); kept the one on line 9: same state, more service detail")
	wantWarning(t, r, "lists 53/udp twice (lines 11 and 12); kept the one on line 11: both say the same")
}
