package nmapxml_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/nmapxml"
)

// FuzzParse checks that Parse never panics, that a refusal is a proper *ParseError, and that
// whatever it accepts is self-consistent, deterministic and survives a round trip: written
// back as nmap XML and parsed again, the hosts and observations come out the same.
func FuzzParse(f *testing.F) {
	for _, dir := range append(fixtureDirs, "bad", "realworld") {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*"))
		for _, file := range files {
			if filepath.Ext(file) == ".md" {
				continue
			}
			raw, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw)
		}
	}
	for _, s := range []string{
		`<nmaprun><host><status state="up"/><address addr="::FFFF:1.2.3.4" addrtype="ipv6"/><ports><port protocol="tcp" portid="1"><state state="open"/></port></ports></host></nmaprun>`,
		`<nmaprun><host><address addr="1.2.3.4"/><address addr="1.2.3.4"/></host><host><address addr="1.2.3.4" addrtype="ipv4"/></host><runstats/></nmaprun>`,
		`<?xml version="1.0" encoding="latin1"?><nmaprun args="&#x10FFFF;&#xD7FF;"><runstats/></nmaprun>`,
		`<!DOCTYPE nmaprun PUBLIC "-//IDN nmap.org//DTD Nmap XML 1.04//EN" "https://svn.nmap.org/nmap/docs/nmap.dtd"><nmaprun><runstats/></nmaprun>`,
		`<!DOCTYPE nmaprun SYSTEM 'nmap.dtd' ><nmaprun><host><address addr="x.x.x.x" addrtype="ipv4"/><ports><port protocol="tcp" portid="1"><state state="open"/></port></ports></host></nmaprun>`,
		`<!DOCTYPE nmaprun PUBLIC "a" "b" [<!ENTITY x "y">]><nmaprun/>`,
		`<!DOCTYPE nmaprun PUBLIC "a>" "b"><nmaprun><host><address addr="1.2.3.4"/><ports><port protocol="tcp" portid="1"/><port protocol="tcp" portid="1"><state state="open"/></port></ports></host></nmaprun>`,
		"<nmaprun><taskbegin extrainfo=\"\xff\x01\"/><host><address addr='10.0.0.1' addrtype='ipv4'/></host></nmaprun>",
		"<nmaprun><host><address addr='10.0.0.1' addrtype='ipv4'/><ports><port protocol='tcp' portid='80'><script id='x'><table><table><elem key='k'>v</elem></table></table></script></port></ports></host>",
	} {
		f.Add([]byte(s))
	}
	opts := nmapxml.Options{Source: "fuzz.xml", MaxAttrBytes: 300, MaxScriptBytes: 200}
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := nmapxml.Parse(raw, opts)
		if err != nil {
			checkRefusal(t, res, err)
			return
		}
		checkConsistent(t, res, opts)
		again, err := nmapxml.Parse(raw, opts)
		if err != nil || !reflect.DeepEqual(res, again) {
			t.Fatalf("a second Parse of the same input differs (err %v)", err)
		}
		back, err := nmapxml.Parse(render(res), nmapxml.Options{MaxAttrBytes: 1 << 20, MaxScriptBytes: 1 << 20})
		if err != nil {
			if len(res.Hosts) == 0 && strings.Contains(err.Error(), "first complete host") {
				return // an empty result renders to a document with no host to keep
			}
			t.Fatalf("the rendered result does not parse: %v\n%s", err, render(res))
		}
		for _, r := range []*nmapxml.Result{res, back} {
			clearIDs(r)
		}
		if !reflect.DeepEqual(res.Hosts, back.Hosts) {
			t.Fatalf("hosts differ after a round trip:\n got %+v\nwant %+v", back.Hosts, res.Hosts)
		}
		if !reflect.DeepEqual(res.Observations, back.Observations) {
			t.Fatalf("observations differ after a round trip:\n got %+v\nwant %+v", back.Observations, res.Observations)
		}
	})
}

func checkRefusal(t *testing.T, res *nmapxml.Result, err error) {
	t.Helper()
	if res != nil {
		t.Fatalf("Parse returned a result with error %v", err)
	}
	var pe *nmapxml.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v is not a *ParseError", err, err)
	}
	if !errors.Is(err, nmapxml.ErrNotNmap) && !errors.Is(err, nmapxml.ErrMalformed) && !errors.Is(err, nmapxml.ErrEntity) {
		t.Fatalf("error %v wraps none of the sentinels", err)
	}
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("error is not one line: %q", err)
	}
}

func clearIDs(r *nmapxml.Result) {
	for i := range r.Hosts {
		r.Hosts[i].ScanID = ""
	}
	for i := range r.Observations {
		r.Observations[i].ScanID = ""
	}
}

// render writes a Result back as nmap XML, the way nmap would have written it.
func render(r *nmapxml.Result) []byte {
	var b bytes.Buffer
	a := func(name, v string) {
		b.WriteString(" " + name + `="`)
		_ = xml.EscapeText(&b, []byte(v))
		b.WriteString(`"`)
	}
	b.WriteString("<nmaprun")
	a("scanner", "nmap")
	a("args", r.Scan.Args)
	a("version", r.Scan.NmapVersion)
	if !r.Scan.Started.IsZero() {
		a("start", strconv.FormatInt(r.Scan.Started.Unix(), 10))
	}
	b.WriteString(">\n")
	ports := map[string][]riskmap.Observation{}
	for _, o := range r.Observations {
		ports[o.IP] = append(ports[o.IP], o)
	}
	for _, h := range r.Hosts {
		b.WriteString("<host")
		if !h.ScanTime.IsZero() {
			a("starttime", strconv.FormatInt(h.ScanTime.Unix(), 10))
		}
		b.WriteString("><status")
		a("state", h.Status)
		a("reason", h.Reason)
		b.WriteString("/><address")
		a("addr", h.IP)
		kind := "ipv4"
		if strings.Contains(h.IP, ":") {
			kind = "ipv6"
		}
		a("addrtype", kind)
		b.WriteString("/><hostnames>")
		for _, n := range h.Hostnames {
			b.WriteString("<hostname")
			a("name", n)
			b.WriteString("/>")
		}
		b.WriteString("</hostnames><ports>")
		for state, n := range h.ExtraPorts {
			b.WriteString("<extraports")
			a("state", state)
			a("count", strconv.Itoa(n))
			b.WriteString("/>")
		}
		for _, o := range ports[h.IP] {
			b.WriteString("<port")
			a("protocol", o.Proto)
			a("portid", strconv.Itoa(o.Port))
			b.WriteString("><state")
			a("state", o.State)
			a("reason", o.Reason)
			b.WriteString("/><service")
			a("name", o.Service)
			a("product", o.Product)
			a("version", o.Version)
			a("extrainfo", o.ExtraInfo)
			a("tunnel", o.Tunnel)
			b.WriteString(">")
			for _, c := range o.CPEs {
				b.WriteString("<cpe>")
				_ = xml.EscapeText(&b, []byte(c))
				b.WriteString("</cpe>")
			}
			b.WriteString("</service>")
			writeScripts(&b, a, o.Scripts)
			b.WriteString("</port>")
		}
		b.WriteString("</ports>")
		if h.OSMatch != "" {
			b.WriteString("<os><osmatch")
			a("name", h.OSMatch)
			a("accuracy", strconv.Itoa(h.OSAccuracy))
			b.WriteString("/></os>")
		}
		b.WriteString("<hostscript>")
		writeScripts(&b, a, h.Scripts)
		b.WriteString("</hostscript></host>\n")
	}
	b.WriteString("<runstats><finished")
	if !r.Scan.Finished.IsZero() {
		a("time", strconv.FormatInt(r.Scan.Finished.Unix(), 10))
	}
	b.WriteString("/><hosts")
	a("up", strconv.Itoa(r.Scan.HostsUp))
	a("down", strconv.Itoa(r.Scan.HostsDown))
	b.WriteString("/></runstats></nmaprun>\n")
	return b.Bytes()
}

func writeScripts(b *bytes.Buffer, a func(string, string), scripts []riskmap.Script) {
	for _, s := range scripts {
		b.WriteString("<script")
		a("id", s.ID)
		a("output", s.Output)
		b.WriteString("/>")
	}
}
