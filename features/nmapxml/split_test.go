package nmapxml_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/nmapxml"
)

// splitAll splits raw into parts of about partBytes and parses each.
func splitAll(t *testing.T, raw []byte, partBytes int) ([]nmapxml.Part, []*nmapxml.Result) {
	t.Helper()
	var parts []nmapxml.Part
	var results []*nmapxml.Result
	err := nmapxml.Split(bytes.NewReader(raw), int64(len(raw)), partBytes, func(p nmapxml.Part) error {
		res, err := nmapxml.Parse(p.Doc, nmapxml.Options{Source: "part"})
		if err != nil {
			t.Fatalf("part %d does not parse: %v", p.Index, err)
		}
		p.Doc = nil
		parts, results = append(parts, p), append(results, res)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return parts, results
}

func clearScan(hs []riskmap.Host, os []riskmap.Observation) {
	for i := range hs {
		hs[i].ScanID = ""
	}
	for i := range os {
		os[i].ScanID = ""
	}
}

// TestSplit: the parts of a large scan, parsed one by one, hold exactly the hosts and ports
// of the whole, each part complete and counting its own hosts, and say where they start.
func TestSplit(t *testing.T) {
	var b bytes.Buffer
	if err := nmapxml.WriteSynthetic(&b, 3000, 5); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	whole, err := nmapxml.Parse(raw, nmapxml.Options{})
	if err != nil {
		t.Fatal(err)
	}
	parts, results := splitAll(t, raw, 256<<10)
	if len(parts) < 4 {
		t.Fatalf("%d parts of a %d-byte scan, want several", len(parts), len(raw))
	}
	var hosts []riskmap.Host
	var obs []riskmap.Observation
	up := 0
	lines := bytes.Split(raw, []byte{'\n'})
	for i, r := range results {
		if !r.Scan.Complete || len(r.Warnings) != 0 {
			t.Errorf("part %d: complete %v, warnings %q", i, r.Scan.Complete, r.Warnings)
		}
		if parts[i].Last != (i == len(parts)-1) || parts[i].Index != i {
			t.Errorf("part %d: %+v", i, parts[i])
		}
		if l := lines[parts[i].FirstLine-1]; !bytes.HasPrefix(l, []byte("<host")) {
			t.Errorf("part %d: line %d is %q, not its first host", i, parts[i].FirstLine, l)
		}
		up += r.Scan.HostsUp
		hosts = append(hosts, r.Hosts...)
		obs = append(obs, r.Observations...)
	}
	clearScan(hosts, obs)
	clearScan(whole.Hosts, whole.Observations)
	if !reflect.DeepEqual(hosts, whole.Hosts) || !reflect.DeepEqual(obs, whole.Observations) {
		t.Errorf("parts hold %d hosts and %d ports, the whole %d and %d", len(hosts), len(obs), len(whole.Hosts), len(whole.Observations))
	}
	if up != whole.Scan.HostsUp {
		t.Errorf("parts count %d hosts up, the whole %d", up, whole.Scan.HostsUp)
	}

	// A small document is one part: the document itself.
	var sb bytes.Buffer
	nmapxml.WriteSynthetic(&sb, 3, 5)
	small := sb.Bytes()
	if err := nmapxml.Split(bytes.NewReader(small), int64(len(small)), 1<<20, func(p nmapxml.Part) error {
		if !bytes.Equal(p.Doc, small) || !p.Last {
			t.Errorf("a small document became %d bytes, last %v", len(p.Doc), p.Last)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// A truncated scan: every part but the last is complete; the last says where it stopped.
	cutRaw := raw[:len(raw)*2/3]
	_, results = splitAll(t, cutRaw, 256<<10)
	lastRes := results[len(results)-1]
	if lastRes.Scan.Complete || len(lastRes.Warnings) == 0 {
		t.Errorf("last part of a truncated scan: complete %v, warnings %q", lastRes.Scan.Complete, lastRes.Warnings)
	}

	// What cannot be split says so before emitting anything.
	err = nmapxml.Split(bytes.NewReader([]byte("<nmaprun></nmaprun>")), 19, 10, func(nmapxml.Part) error { t.Error("emitted"); return nil })
	if !errors.Is(err, nmapxml.ErrNoSplit) {
		t.Errorf("no hosts: %v, want ErrNoSplit", err)
	}
}

// TestSplitTinyParts: with parts smaller than a host, each host is a part of its own.
func TestSplitTinyParts(t *testing.T) {
	var b bytes.Buffer
	if err := nmapxml.WriteSynthetic(&b, 40, 9); err != nil {
		t.Fatal(err)
	}
	whole, err := nmapxml.Parse(b.Bytes(), nmapxml.Options{})
	if err != nil {
		t.Fatal(err)
	}
	parts, results := splitAll(t, b.Bytes(), 1)
	if len(parts) != len(whole.Hosts) {
		t.Fatalf("%d parts for %d hosts", len(parts), len(whole.Hosts))
	}
	for i, r := range results {
		if len(r.Hosts) != 1 || r.Hosts[0].IP != whole.Hosts[i].IP || !r.Scan.Complete {
			t.Errorf("part %d: %d hosts, complete %v", i, len(r.Hosts), r.Scan.Complete)
		}
	}
}

// FuzzSplit: Split never panics or loops on any input, and every part it emits is a
// document that Parse either reads or refuses with a *ParseError.
func FuzzSplit(f *testing.F) {
	var b bytes.Buffer
	nmapxml.WriteSynthetic(&b, 4, 2)
	f.Add(b.Bytes(), 200)
	f.Add([]byte(`<nmaprun><host><address addr="1.2.3.4"/></host><host></host></nmaprun>`), 1)
	f.Add([]byte(`<!DOCTYPE nmaprun PUBLIC "a" "b"><nmaprun><hosthint/><host/></host></host><runstats><hosts up="9"/></runstats></nmaprun>`), 3)
	f.Fuzz(func(t *testing.T, raw []byte, partBytes int) {
		if partBytes <= 0 || partBytes > 1<<16 {
			return
		}
		parts := 0
		err := nmapxml.Split(bytes.NewReader(raw), int64(len(raw)), partBytes, func(p nmapxml.Part) error {
			parts++
			if parts > len(raw)+1 {
				t.Fatalf("%d parts from %d bytes", parts, len(raw))
			}
			if _, err := nmapxml.Parse(p.Doc, nmapxml.Options{}); err != nil {
				var pe *nmapxml.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("part %d: %v is not a *ParseError", p.Index, err)
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, nmapxml.ErrNoSplit) {
			t.Fatalf("Split: %v", err)
		}
	})
}
