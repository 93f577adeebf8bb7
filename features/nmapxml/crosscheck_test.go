package nmapxml_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	nmap "github.com/Ullaakut/nmap/v3"
	"github.com/riskmap/riskmap/features/nmapxml"
)

// plainOpenCount counts the distinct open ports (host address, protocol, port) by plain
// text search, independently of any XML parser: within each <host> element, the first
// addr="..." names the host, and each <port> element whose <state> says open counts once.
func plainOpenCount(raw []byte) int {
	seen := map[string]bool{}
	for rest := raw; ; {
		i := bytes.Index(rest, []byte("<host "))
		if j := bytes.Index(rest, []byte("<host>")); j >= 0 && (i < 0 || j < i) {
			i = j
		}
		if i < 0 {
			return len(seen)
		}
		rest = rest[i:]
		end := bytes.Index(rest, []byte("</host>"))
		if end < 0 {
			return len(seen)
		}
		host := rest[:end]
		rest = rest[end:]
		addr := between(host, `addr="`, `"`)
		for h := host; ; {
			k := bytes.Index(h, []byte("<port "))
			if k < 0 {
				break
			}
			h = h[k:]
			e := bytes.Index(h, []byte("</port>"))
			if e < 0 {
				break
			}
			port := h[:e]
			h = h[e:]
			if bytes.Contains(port, []byte(`<state state="open"`)) {
				seen[addr+" "+between(port, `protocol="`, `"`)+"/"+between(port, `portid="`, `"`)] = true
			}
		}
	}
}

// between returns the text between the first open and the next close after it.
func between(b []byte, open, close string) string {
	i := bytes.Index(b, []byte(open))
	if i < 0 {
		return ""
	}
	b = b[i+len(open):]
	j := bytes.Index(b, []byte(close))
	if j < 0 {
		return ""
	}
	return string(b[:j])
}

// asUTF8 gives the cross-checks a UTF-8 copy of fixtures stored in another encoding
// (UTF-16 with a BOM, ISO-8859-1), which neither a plain search nor encoding/xml without a
// CharsetReader could read.
func asUTF8(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte{0xFF, 0xFE}) {
		u := make([]uint16, (len(raw)-2)/2)
		for i := range u {
			u[i] = uint16(raw[2+2*i]) | uint16(raw[3+2*i])<<8
		}
		return []byte(string(utf16.Decode(u)))
	}
	if decl := []byte(`encoding="ISO-8859-1"`); bytes.Contains(raw[:min(len(raw), 100)], decl) {
		var b []byte
		for _, c := range bytes.Replace(raw, decl, []byte(`encoding="UTF-8"`), 1) {
			b = utf8.AppendRune(b, rune(c))
		}
		return b
	}
	return raw
}

func openCount(res *nmapxml.Result) int {
	n := 0
	for i := range res.Observations {
		if res.Observations[i].Open() {
			n++
		}
	}
	return n
}

// crossCheck compares a complete result with a plain count of open ports and, where it can
// read the file, with github.com/Ullaakut/nmap/v3 (encoding/xml underneath).
func crossCheck(t *testing.T, raw []byte, res *nmapxml.Result) {
	t.Helper()
	if !res.Scan.Complete {
		return // a truncated file holds a partial host that a plain count would see
	}
	raw = asUTF8(raw)
	if got, want := openCount(res), plainOpenCount(raw); got != want {
		t.Errorf("open ports: Parse found %d, a plain count of <state state=\"open\" in <port> finds %d", got, want)
	}
	var run nmap.Run
	if err := nmap.Parse(raw, &run); err != nil {
		t.Logf("Ullaakut/nmap cannot read this file (%v); plain count only", err)
		return
	}
	var want []string
	for _, h := range run.Hosts {
		if h.Status.State == "down" {
			continue
		}
		ip := ""
		for _, a := range h.Addresses {
			if a.AddrType == "ipv4" || a.AddrType == "ipv6" {
				if addr, err := netip.ParseAddr(a.Addr); err == nil {
					ip = addr.String()
				}
				break
			}
		}
		for _, p := range h.Ports {
			var cpes []string
			for _, c := range p.Service.CPEs {
				cpes = append(cpes, strings.TrimSpace(string(c)))
			}
			var scripts []string
			for _, s := range p.Scripts {
				scripts = append(scripts, s.ID+"="+s.Output)
			}
			want = append(want, portKey(ip, p.Protocol, int(p.ID), p.State.State, p.Service.Name,
				p.Service.Product, p.Service.Version, p.Service.ExtraInfo, p.Service.Tunnel, cpes, scripts))
		}
	}
	var got []string
	for _, o := range res.Observations {
		var scripts []string
		for _, s := range o.Scripts {
			scripts = append(scripts, s.ID+"="+s.Output)
		}
		got = append(got, portKey(o.IP, o.Proto, o.Port, o.State, o.Service, o.Product, o.Version, o.ExtraInfo, o.Tunnel, o.CPEs, scripts))
	}
	slices.Sort(got)
	slices.Sort(want)
	want = slices.Compact(want) // a repeated address (masscan) lists a port twice
	if !slices.Equal(got, want) {
		t.Errorf("ports differ from Ullaakut/nmap's reading:\n got: %q\nwant: %q", got, want)
	}
}

func portKey(ip, proto string, port int, state, service, product, version, extra, tunnel string, cpes, scripts []string) string {
	return fmt.Sprintf("%s %s/%d %s %s|%s|%s|%s|%s %v %q", ip, proto, port, state, service, product, version, extra, tunnel, cpes, scripts)
}

// checkConsistent checks what must hold of any accepted result, whatever the input.
func checkConsistent(t *testing.T, res *nmapxml.Result, opts nmapxml.Options) {
	t.Helper()
	maxScript := opts.MaxScriptBytes
	if maxScript == 0 {
		maxScript = nmapxml.DefaultMaxScriptBytes
	}
	maxAttr := opts.MaxAttrBytes
	if maxAttr == 0 {
		maxAttr = nmapxml.DefaultMaxAttrBytes
	}
	if len(res.Scan.ID) != 64 {
		t.Errorf("scan id %q is not 64 hex characters", res.Scan.ID)
	}
	hosts := map[string]string{}
	for _, h := range res.Hosts {
		if nmapxml.IsPlaceholder(h.IP) {
			if _, err := netip.ParseAddr(h.IP); err == nil || strings.ContainsAny(h.IP, " \t\n<>&\"") {
				t.Errorf("placeholder %q parses as an address or holds markup", h.IP)
			}
			hosts[h.IP] = h.Status
			continue
		}
		a, err := netip.ParseAddr(h.IP)
		if err != nil || a.String() != h.IP {
			t.Errorf("host IP %q is not a canonical IP address", h.IP)
		}
		if _, dup := hosts[h.IP]; dup {
			t.Errorf("host %s listed twice", h.IP)
		}
		hosts[h.IP] = h.Status
		if h.ScanID != res.Scan.ID {
			t.Errorf("host %s has scan id %q, want %q", h.IP, h.ScanID, res.Scan.ID)
		}
		if h.Status == "" {
			t.Errorf("host %s has no status", h.IP)
		}
		for _, s := range h.Scripts {
			checkScript(t, s.ID, s.Output, maxScript, maxAttr)
		}
		for _, n := range h.Hostnames {
			checkString(t, "hostname", n, maxAttr)
		}
	}
	type key struct {
		ip, proto string
		port      int
	}
	seen := map[key]bool{}
	for _, o := range res.Observations {
		status, ok := hosts[o.IP]
		if !ok {
			t.Errorf("observation %s %s/%d: its IP is not a host of the result", o.IP, o.Proto, o.Port)
		}
		if status == "down" {
			t.Errorf("observation %s %s/%d belongs to a down host", o.IP, o.Proto, o.Port)
		}
		if o.Port < 0 || o.Port > 65535 {
			t.Errorf("observation %s has port %d", o.IP, o.Port)
		}
		k := key{o.IP, o.Proto, o.Port}
		if seen[k] {
			t.Errorf("observation %s %s/%d listed twice", o.IP, o.Proto, o.Port)
		}
		seen[k] = true
		if o.ScanID != res.Scan.ID {
			t.Errorf("observation %s/%d has scan id %q", o.IP, o.Port, o.ScanID)
		}
		for _, f := range []string{o.Proto, o.State, o.Reason, o.Service, o.Product, o.Version, o.ExtraInfo, o.Tunnel, o.OSMatch} {
			checkString(t, "observation field", f, maxAttr)
		}
		for _, c := range o.CPEs {
			checkString(t, "cpe", c, maxAttr)
		}
		for _, s := range o.Scripts {
			checkScript(t, s.ID, s.Output, maxScript, maxAttr)
		}
	}
	if len(res.Warnings) > nmapxml.MaxWarnings+1 {
		t.Errorf("%d warnings, want at most %d", len(res.Warnings), nmapxml.MaxWarnings+1)
	}
	for _, w := range res.Warnings {
		if strings.ContainsAny(w, "\n\r") {
			t.Errorf("warning is not one line: %q", w)
		}
	}
	if res.Scan.HostsUp < 0 || res.Scan.HostsDown < 0 {
		t.Errorf("host counts %d up, %d down", res.Scan.HostsUp, res.Scan.HostsDown)
	}
	checkString(t, "args", res.Scan.Args, maxAttr)
}

func checkScript(t *testing.T, id, out string, maxScript, maxAttr int) {
	t.Helper()
	checkString(t, "script id", id, maxAttr)
	if !utf8.ValidString(out) {
		t.Errorf("script %s output is not valid UTF-8", id)
	}
	if n := len(strings.TrimSuffix(out, nmapxml.TruncationMarker)); n > maxScript {
		t.Errorf("script %s output is %d bytes, over the %d limit", id, n, maxScript)
	}
}

func checkString(t *testing.T, what, s string, limit int) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s %q is not valid UTF-8", what, s)
	}
	if len(s) > limit {
		t.Errorf("%s is %d bytes, over the %d limit", what, len(s), limit)
	}
}
