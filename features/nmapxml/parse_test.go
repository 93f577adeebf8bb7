// Over 400 lines: the parser's table tests, one per element of the nmap XML it reads (hosts,
// ports, scripts, OS, run stats, truncation); they share fixtures and helpers.

package nmapxml_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/features/nmapxml"
)

const header = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sV -p 22,80 -oX out.xml 192.0.2.0/30" start="1700000000" version="7.93" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="2" services="22,80"/>
`

const footer = `<runstats><finished time="1700000060" exit="success"/><hosts up="2" down="1" total="3"/></runstats>
</nmaprun>
`

// doc wraps host elements in a complete nmap 7.93 document.
func doc(hosts string) []byte { return []byte(header + hosts + footer) }

func hostXML(ip, ports string) string {
	return `<host starttime="1700000010" endtime="1700000020"><status state="up" reason="syn-ack"/>
<address addr="` + ip + `" addrtype="ipv4"/>
<hostnames><hostname name="h.example" type="PTR"/></hostnames>
<ports>` + ports + `</ports>
</host>
`
}

const sshPort = `<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="ssh" product="OpenSSH" version="9.6p1" method="probed" conf="10"><cpe>cpe:/a:openbsd:openssh:9.6p1</cpe></service></port>`

func mustParse(t *testing.T, raw []byte, opts nmapxml.Options) *nmapxml.Result {
	t.Helper()
	res, err := nmapxml.Parse(raw, opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checkConsistent(t, res, opts)
	return res
}

func TestScanFields(t *testing.T) {
	raw := doc(hostXML("192.0.2.1", sshPort))
	res := mustParse(t, raw, nmapxml.Options{Source: "scan.xml"})
	s := res.Scan
	sum := sha256.Sum256(raw)
	if s.ID != hex.EncodeToString(sum[:]) || s.ID != nmapxml.ScanID(raw) {
		t.Errorf("ID = %s, want the hex sha256 of the file", s.ID)
	}
	want := map[string]any{
		"Started":     time.Unix(1700000000, 0).UTC(),
		"Finished":    time.Unix(1700000060, 0).UTC(),
		"Args":        "nmap -sV -p 22,80 -oX out.xml 192.0.2.0/30",
		"Targets":     "192.0.2.0/30",
		"HostsUp":     2, // from runstats, not counted
		"HostsDown":   1,
		"Complete":    true,
		"NmapVersion": "7.93",
		"Source":      "scan.xml",
	}
	got := map[string]any{
		"Started": s.Started, "Finished": s.Finished, "Args": s.Args, "Targets": s.Targets,
		"HostsUp": s.HostsUp, "HostsDown": s.HostsDown, "Complete": s.Complete,
		"NmapVersion": s.NmapVersion, "Source": s.Source,
	}
	for k, w := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(w) {
			t.Errorf("Scan.%s = %v, want %v", k, got[k], w)
		}
	}
	o := res.Observations[0]
	if o.ScanTime != time.Unix(1700000010, 0).UTC() || res.Hosts[0].ScanTime != o.ScanTime {
		t.Errorf("ScanTime = %v, want the host's starttime", o.ScanTime)
	}
	if o.Service != "ssh" || o.Product != "OpenSSH" || o.Version != "9.6p1" || fmt.Sprint(o.CPEs) != "[cpe:/a:openbsd:openssh:9.6p1]" {
		t.Errorf("observation = %+v", o)
	}
}

func TestTargetsFromArgs(t *testing.T) {
	tests := []struct{ args, want string }{
		{"nmap 10.0.0.1", "10.0.0.1"},
		{"/usr/bin/nmap -n -Pn --reason -T4 --host-timeout 90s -oX a.xml -sV --version-light -p 22,80 127.0.0.2 127.0.0.3", "127.0.0.2 127.0.0.3"},
		{"nmap -oX - -iL list.txt", ""},
		{"nmap --script=default,safe --script-args user=x,pass=y -p- scanme.nmap.org", "scanme.nmap.org"},
		{"nmap -v -v -v -oX test.xml -O -sTUR -p 1-1023 localhost", "localhost"},
		{"nmap -p22 -T4 -PS80 --top-ports 100 --exclude 10.0.0.5 10.0.0.0/24", "10.0.0.0/24"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			raw := []byte(`<nmaprun args="` + tt.args + `"><runstats/></nmaprun>`)
			if got := mustParse(t, raw, nmapxml.Options{}).Scan.Targets; got != tt.want {
				t.Errorf("Targets = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHosts(t *testing.T) {
	tests := []struct {
		name  string
		hosts string
		check func(t *testing.T, r *nmapxml.Result)
	}{
		{"hosthint is not a host", `<hosthint><status state="up"/><address addr="192.0.2.1" addrtype="ipv4"/></hosthint>` + hostXML("192.0.2.1", sshPort),
			func(t *testing.T, r *nmapxml.Result) {
				if len(r.Hosts) != 1 || len(r.Observations) != 1 {
					t.Errorf("%d hosts, %d observations, want 1 and 1", len(r.Hosts), len(r.Observations))
				}
			}},
		{"ipv6 in canonical form, mac ignored", `<host><status state="up"/><address addr="52:54:00:12:34:56" addrtype="mac"/><address addr="2001:DB8:0:0:0:0:0:1" addrtype="ipv6"/><ports>` + sshPort + `</ports></host>`,
			func(t *testing.T, r *nmapxml.Result) {
				if r.Hosts[0].IP != "2001:db8::1" || r.Observations[0].IP != "2001:db8::1" {
					t.Errorf("IP = %q, want 2001:db8::1", r.Hosts[0].IP)
				}
			}},
		{"mac only: skipped with a warning", `<host><status state="up"/><address addr="52:54:00:12:34:56" addrtype="mac"/></host>` + hostXML("192.0.2.2", ""),
			func(t *testing.T, r *nmapxml.Result) {
				if len(r.Hosts) != 1 || r.Hosts[0].IP != "192.0.2.2" {
					t.Errorf("hosts = %+v", r.Hosts)
				}
				wantWarning(t, r, "line 5: host with no IPv4 or IPv6 address skipped")
			}},
		{"down host has no observations", `<host><status state="down" reason="no-response"/><address addr="192.0.2.3" addrtype="ipv4"/><ports>` + sshPort + `</ports></host>`,
			func(t *testing.T, r *nmapxml.Result) {
				if len(r.Hosts) != 1 || r.Hosts[0].Status != "down" || len(r.Observations) != 0 {
					t.Errorf("hosts %+v, %d observations", r.Hosts, len(r.Observations))
				}
			}},
		{"extraports summed by state", hostXML("192.0.2.4", `<extraports state="closed" count="990"><extrareasons reason="reset" count="990"/></extraports><extraports state="filtered" count="5"/><extraports state="closed" count="3"/>`),
			func(t *testing.T, r *nmapxml.Result) {
				if got := fmt.Sprint(r.Hosts[0].ExtraPorts); got != "map[closed:993 filtered:5]" {
					t.Errorf("ExtraPorts = %s", got)
				}
			}},
		{"best osmatch by accuracy", `<host><status state="up"/><address addr="192.0.2.5" addrtype="ipv4"/><os><osmatch name="Linux 3.2" accuracy="90"/><osmatch name="Linux 5.4" accuracy="96"><osclass type="general purpose" vendor="Linux" accuracy="96"><cpe>cpe:/o:linux:linux_kernel:5</cpe></osclass></osmatch><osmatch name="Linux 6.1" accuracy="96"/></os><ports>` + sshPort + `</ports></host>`,
			func(t *testing.T, r *nmapxml.Result) {
				h := r.Hosts[0]
				if h.OSMatch != "Linux 5.4" || h.OSAccuracy != 96 || r.Observations[0].OSMatch != "Linux 5.4" {
					t.Errorf("OS = %q %d, observation %q", h.OSMatch, h.OSAccuracy, r.Observations[0].OSMatch)
				}
			}},
		{"host scripts, flat and structured", `<host><status state="up"/><address addr="192.0.2.6" addrtype="ipv4"/><hostscript><script id="smb-os-discovery" output="&#xa;  OS: Windows"/><script id="clock-skew"><elem key="mean">0</elem><table key="t"><elem>x</elem></table></script></hostscript></host>`,
			func(t *testing.T, r *nmapxml.Result) {
				got := fmt.Sprintf("%q", r.Hosts[0].Scripts)
				if want := `[{"smb-os-discovery" "\n  OS: Windows"} {"clock-skew" "mean: 0\nt:\n  x"}]`; got != want {
					t.Errorf("Scripts = %s, want %s", got, want)
				}
			}},
		{"udp and tunnel ssl", hostXML("192.0.2.7", `<port protocol="udp" portid="53"><state state="open" reason="udp-response"/><service name="domain"/></port><port protocol="tcp" portid="443"><state state="open"/><service name="http" tunnel="ssl" product="nginx"/></port>`),
			func(t *testing.T, r *nmapxml.Result) {
				o := r.Observations
				if o[0].Proto != "udp" || o[0].Port != 53 || o[1].Tunnel != "ssl" || o[1].Service != "http" {
					t.Errorf("observations = %+v", o)
				}
			}},
		{"entities and attribute whitespace", hostXML("192.0.2.8", `<port protocol="tcp" portid="80"><state state="open"/><service name="http" product="A &amp; B &lt;x&gt; &quot;q&quot; &apos;s&apos; &#65;&#x42;" extrainfo="two
lines	tab"/></port>`),
			func(t *testing.T, r *nmapxml.Result) {
				o := r.Observations[0]
				if o.Product != `A & B <x> "q" 's' AB` || o.ExtraInfo != "two lines tab" {
					t.Errorf("Product %q, ExtraInfo %q", o.Product, o.ExtraInfo)
				}
			}},
		{"repeated address merged", hostXML("192.0.2.9", sshPort) + hostXML("192.0.2.9", sshPort+`<port protocol="tcp" portid="80"><state state="open"/></port>`),
			func(t *testing.T, r *nmapxml.Result) {
				if len(r.Hosts) != 1 || len(r.Observations) != 2 {
					t.Errorf("%d hosts, %d observations, want 1 and 2", len(r.Hosts), len(r.Observations))
				}
				wantWarning(t, r, "appears in more than one <host>")
			}},
		{"invalid utf-8 repaired", hostXML("192.0.2.10", "<port protocol=\"tcp\" portid=\"80\"><state state=\"open\"/><service name=\"http\" product=\"caf\xe9\"/></port>"),
			func(t *testing.T, r *nmapxml.Result) {
				if got := r.Observations[0].Product; got != "caf\uFFFD" {
					t.Errorf("Product = %q", got)
				}
			}},
		{"bad portid skipped", hostXML("192.0.2.11", `<port protocol="tcp" portid="70000"><state state="open"/></port>`+sshPort),
			func(t *testing.T, r *nmapxml.Result) {
				if len(r.Observations) != 1 || r.Observations[0].Port != 22 {
					t.Errorf("observations = %+v", r.Observations)
				}
				wantWarning(t, r, "portid")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustParse(t, doc(tt.hosts), nmapxml.Options{Source: "t.xml"}))
		})
	}
}

func wantWarning(t *testing.T, r *nmapxml.Result, sub string) {
	t.Helper()
	for _, w := range r.Warnings {
		if strings.Contains(w, sub) {
			return
		}
	}
	t.Errorf("no warning says %q; warnings: %q", sub, r.Warnings)
}

func TestIncomplete(t *testing.T) {
	full := string(doc(hostXML("192.0.2.1", sshPort) + hostXML("192.0.2.2", sshPort)))
	second := strings.Index(full, `<host starttime`) + 1
	second += strings.Index(full[second:], `<host starttime`)
	cut := full[:second+strings.Index(full[second:], `state="op`)+len(`state="op`)]
	tests := []struct {
		name     string
		raw      string
		hosts    int
		warning  string
		complete bool
	}{
		{"cut inside the second host", cut, 1, "t.xml: line 13: truncated scan: unexpected end of input inside the value of attribute state in <state>; kept 1 complete host element(s) and dropped the partial host that starts at line 10", false},
		{"cut before runstats", full[:strings.Index(full, "<runstats>")], 2, "truncated scan: unexpected end of input inside <nmaprun>", false},
		{"no closing root", strings.TrimSuffix(full, "</nmaprun>\n"), 2, "truncated scan", false},
		{"malformed second host", strings.Replace(full, `<status state="up" reason="syn-ack"/>
<address addr="192.0.2.2"`, `<status state="up" reason="syn-ack">
<address addr="192.0.2.2"`, 1), 1, "malformed scan: end tag </host> does not close <status>", false},
		{"nmap exit error", strings.Replace(full, `exit="success"`, `exit="error" errormsg="boom"`, 1), 2, "nmap reported an error: boom", false},
		{"second run appended", full + full, 2, "content after </nmaprun> ignored", true},
		{"no runstats", strings.Replace(full, `<runstats><finished time="1700000060" exit="success"/><hosts up="2" down="1" total="3"/></runstats>`, "", 1), 2, "no <runstats>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustParse(t, []byte(tt.raw), nmapxml.Options{Source: "t.xml"})
			if len(r.Hosts) != tt.hosts || r.Scan.Complete != tt.complete {
				t.Errorf("%d hosts, complete %v; want %d, %v", len(r.Hosts), r.Scan.Complete, tt.hosts, tt.complete)
			}
			wantWarning(t, r, tt.warning)
		})
	}
	// Host counts come from runstats when there are some, else from the hosts kept.
	r := mustParse(t, []byte(cut), nmapxml.Options{})
	if r.Scan.HostsUp != 1 || r.Scan.HostsDown != 0 || !r.Scan.Finished.IsZero() {
		t.Errorf("truncated scan: up %d down %d finished %v, want 1, 0, zero", r.Scan.HostsUp, r.Scan.HostsDown, r.Scan.Finished)
	}
}

func TestEmptyScan(t *testing.T) {
	r := mustParse(t, []byte(header+footer), nmapxml.Options{})
	if len(r.Hosts) != 0 || len(r.Observations) != 0 || !r.Scan.Complete || len(r.Warnings) != 0 {
		t.Errorf("empty scan: %+v", r)
	}
}

func TestEncodings(t *testing.T) {
	latin1, err := os.ReadFile("testdata/crafted/latin1.xml")
	if err != nil {
		t.Fatal(err)
	}
	r := mustParse(t, latin1, nmapxml.Options{})
	o := r.Observations[0]
	if o.ExtraInfo != "(Debian) PHP/5.2.6 édition française" || o.Scripts[0].Output != "Page d'accueil — Société Générale des Études" {
		t.Errorf("latin-1 not converted: %q / %q", o.ExtraInfo, o.Scripts[0].Output)
	}
	cp1252 := []byte("<?xml version='1.0' encoding='windows-1252'?><nmaprun args='nmap \x93x\x94 \xe9'><runstats/></nmaprun>")
	if got := mustParse(t, cp1252, nmapxml.Options{}).Scan.Args; got != "nmap \u201cx\u201d é" {
		t.Errorf("windows-1252 args = %q", got)
	}
	utf8, err := os.ReadFile("testdata/generated/connect.xml")
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := os.ReadFile("testdata/generated/connect-utf16le.xml")
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustParse(t, utf8, nmapxml.Options{}), mustParse(t, utf16, nmapxml.Options{})
	a.Scan.ID, b.Scan.ID = "", ""
	for i := range a.Observations {
		a.Observations[i].ScanID, b.Observations[i].ScanID = "", ""
	}
	for i := range a.Hosts {
		a.Hosts[i].ScanID, b.Hosts[i].ScanID = "", ""
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("UTF-16 copy reads differently from the UTF-8 original")
	}
}

func TestLimits(t *testing.T) {
	big := strings.Repeat("é", 30000) // 60000 bytes
	raw := doc(hostXML("192.0.2.1", `<port protocol="tcp" portid="80"><state state="open"/><service name="http" product="`+big+`"/><script id="banner" output="`+big+`"/><script id="t"><elem key="k">`+big+`</elem></script></port>`))
	opts := nmapxml.Options{MaxAttrBytes: 1001, MaxScriptBytes: 2001}
	r := mustParse(t, raw, opts)
	o := r.Observations[0]
	if len(o.Product) != 1000 { // 1001 would split an é
		t.Errorf("product is %d bytes, want 1000", len(o.Product))
	}
	if !strings.HasSuffix(o.Scripts[0].Output, nmapxml.TruncationMarker) || len(o.Scripts[0].Output) != 2000+len(nmapxml.TruncationMarker) {
		t.Errorf("script output is %d bytes, want 2000 and the marker", len(o.Scripts[0].Output))
	}
	if !strings.HasSuffix(o.Scripts[1].Output, nmapxml.TruncationMarker) {
		t.Errorf("structured output not cut: %d bytes", len(o.Scripts[1].Output))
	}
	wantWarning(t, r, "attribute product of <service> is 60000 bytes, cut to 1001")
	wantWarning(t, r, "output of script banner is 60000 bytes, cut to 2001")
}

// TestHugeOutputBoundedMemory checks that a 64 MiB script output costs about the limit, not
// copies of the output: the file is held once, by the caller.
func TestHugeOutputBoundedMemory(t *testing.T) {
	huge := strings.Repeat("A&amp;", 64<<20/6)
	raw := doc(hostXML("192.0.2.1", `<port protocol="tcp" portid="80"><state state="open"/><script id="x" output="`+huge+`"/></port>`))
	huge = ""
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := nmapxml.Parse(raw, nmapxml.Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("Parse allocated %d bytes for a %d-byte file; want it bounded by the limits", alloc, len(raw))
	}
	if n := len(r.Observations[0].Scripts[0].Output); n > nmapxml.DefaultMaxScriptBytes+len(nmapxml.TruncationMarker) {
		t.Errorf("output kept %d bytes", n)
	}
}

func TestManyWarningsCapped(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, `<host><status state="up"/><address addr="not-an-ip-%d" addrtype="ipv4"/></host>`+"\n", i)
	}
	r := mustParse(t, doc(b.String()+hostXML("192.0.2.1", sshPort)), nmapxml.Options{})
	if len(r.Warnings) != nmapxml.MaxWarnings+1 {
		t.Fatalf("%d warnings, want %d", len(r.Warnings), nmapxml.MaxWarnings+1)
	}
	if last := r.Warnings[len(r.Warnings)-1]; !strings.Contains(last, "200 more warnings not listed") {
		t.Errorf("last warning %q", last)
	}
}

// TestHostile feeds shapes that would be slow or unbounded in a naive parser: they must be
// read with bounded results (and quickly: the package's test timeout would catch a hang).
func TestHostile(t *testing.T) {
	const n = 20000
	addr := `<address addr="192.0.2.1" addrtype="ipv4"/>`
	tests := []struct {
		name  string
		doc   string
		check func(t *testing.T, r *nmapxml.Result, err error)
	}{
		{"many host names", `<nmaprun><host>` + addr + `<hostnames>` + strings.Repeat(`<hostname name="a"/>`, n) + `</hostnames></host><runstats/></nmaprun>`,
			func(t *testing.T, r *nmapxml.Result, err error) {
				if err != nil || len(r.Hosts[0].Hostnames) != 1 {
					t.Errorf("err %v, hostnames %d", err, len(r.Hosts[0].Hostnames))
				}
			}},
		{"many distinct host names", func() string {
			var b strings.Builder
			for i := range n {
				fmt.Fprintf(&b, `<hostname name="h%d"/>`, i)
			}
			return `<nmaprun><host>` + addr + `<hostnames>` + b.String() + `</hostnames></host><runstats/></nmaprun>`
		}(),
			func(t *testing.T, r *nmapxml.Result, err error) {
				if err != nil || len(r.Hosts[0].Hostnames) != 64 {
					t.Errorf("err %v, %d hostnames, want the first 64", err, len(r.Hosts[0].Hostnames))
				}
				wantWarning(t, r, "more than 64 host names")
			}},
		{"one port listed many times", `<nmaprun><host>` + addr + `<ports>` + strings.Repeat(`<port protocol="tcp" portid="5"><state state="open"/></port>`, n) + `</ports></host><runstats/></nmaprun>`,
			func(t *testing.T, r *nmapxml.Result, err error) {
				if err != nil || len(r.Observations) != 1 {
					t.Errorf("err %v, %d observations", err, len(r.Observations))
				}
			}},
		{"one address in many hosts", `<nmaprun>` + strings.Repeat(`<host>`+addr+`<ports><port protocol="tcp" portid="1"/></ports></host>`, n) + `<runstats/></nmaprun>`,
			func(t *testing.T, r *nmapxml.Result, err error) {
				if err != nil || len(r.Hosts) != 1 || len(r.Observations) != 1 {
					t.Errorf("err %v, %d hosts, %d observations", err, len(r.Hosts), len(r.Observations))
				}
			}},
		{"deep nesting", `<nmaprun>` + strings.Repeat(`<a>`, n) + `</nmaprun>`,
			func(t *testing.T, r *nmapxml.Result, err error) {
				if err == nil || !strings.Contains(err.Error(), "nested deeper than 1000") {
					t.Errorf("err %v", err)
				}
			}},
		{"deep script tables", `<nmaprun><host>` + addr + `<ports><port portid="1"><script id="x">` + strings.Repeat(`<table>`, n),
			func(t *testing.T, r *nmapxml.Result, err error) {
				if err == nil || !strings.Contains(err.Error(), "nested deeper than 1000") {
					t.Errorf("err %v", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := nmapxml.Parse([]byte(tt.doc), nmapxml.Options{})
			if err == nil {
				checkConsistent(t, r, nmapxml.Options{})
			}
			tt.check(t, r, err)
		})
	}
}
