package baseline_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/baseline"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; run go test -update and review the diff. Got:\n%s", path, got)
	}
}

func obs(ip string, port int, state, service, product, version string, cpes ...string) riskmap.Observation {
	return riskmap.Observation{IP: ip, Port: port, Proto: "tcp", State: state, Service: service, Product: product, Version: version, CPEs: cpes}
}

func snap(id string, hosts []riskmap.Host, o ...riskmap.Observation) baseline.Snapshot {
	return baseline.Snapshot{Scan: riskmap.Scan{ID: id, Started: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}, Hosts: hosts, Observations: o}
}

func changes(ds []riskmap.Diff) []string {
	var out []string
	for _, d := range ds {
		s := d.IP + " " + d.Change
		if !d.HostLevel() {
			s = fmt.Sprintf("%s %d/%s %s", d.IP, d.Port, d.Proto, d.Change)
		}
		if d.AssetID != "" {
			s += " [" + d.AssetID + "]"
		}
		out = append(out, s)
	}
	return out
}

func TestDiff(t *testing.T) {
	up := func(ip, asset, os string, extra map[string]int) riskmap.Host {
		return riskmap.Host{IP: ip, AssetID: asset, Status: "up", OSMatch: os, ExtraPorts: extra}
	}
	tests := []struct {
		name     string
		base     baseline.Snapshot
		cur      baseline.Snapshot
		want     []string
		baseCov  string
		curCov   string
		wantBody []string // "before -> after" of each change, when checked
	}{
		{"nothing changed, order and CPE order differ",
			snap("a", nil, obs("10.0.0.1", 22, "open", "ssh", "OpenSSH", "8.9p1", "cpe:/a:openbsd:openssh:8.9p1", "cpe:/o:linux:linux_kernel"),
				obs("10.0.0.1", 80, "open", "http", "nginx", "1.24.0")),
			snap("b", nil, obs("10.0.0.1", 80, "open", "http", "nginx", "1.24.0"),
				obs("10.0.0.1", 22, "open", "ssh", "OpenSSH", "8.9p1", "cpe:/o:linux:linux_kernel", "CPE:/a:openbsd:openssh:8.9p1")),
			nil, "", "", nil},
		{"ip moved to another asset",
			snap("a", []riskmap.Host{up("10.0.0.1", "i-old", "", nil)}, obs("10.0.0.1", 22, "open", "ssh", "", "")),
			snap("b", []riskmap.Host{up("10.0.0.1", "i-new", "", nil)}, obs("10.0.0.1", 22, "open", "ssh", "", "")),
			[]string{"10.0.0.1 host_gone [i-old]", "10.0.0.1 new_host [i-new]"}, "", "", nil},
		{"host went down: its ports went away, as ndiff says",
			snap("a", []riskmap.Host{up("10.0.0.1", "", "", nil)}, obs("10.0.0.1", 22, "open", "ssh", "", "")),
			snap("b", []riskmap.Host{{IP: "10.0.0.1", Status: "down"}}),
			[]string{"10.0.0.1 host_state_changed", "10.0.0.1 22/tcp closed_port"}, "", "", []string{"up -> down", "open ssh -> "}},
		{"host came up: its ports are new; port 0 is a port",
			snap("a", []riskmap.Host{{IP: "10.0.0.1", Status: "down"}}),
			snap("b", []riskmap.Host{up("10.0.0.1", "", "", nil)}, obs("10.0.0.1", 0, "open", "", "", ""), obs("10.0.0.1", 22, "open", "ssh", "", "")),
			[]string{"10.0.0.1 host_state_changed", "10.0.0.1 0/tcp new_port", "10.0.0.1 22/tcp new_port"}, "", "", []string{"down -> up", " -> open", " -> open ssh"}},
		{"down in both: nothing",
			snap("a", []riskmap.Host{{IP: "10.0.0.1", Status: "down"}}),
			snap("b", []riskmap.Host{{IP: "10.0.0.1", Status: "down"}}),
			nil, "", "", nil},
		{"os change needs both sides",
			snap("a", []riskmap.Host{up("10.0.0.1", "", "Linux 5.0 - 5.14", nil), up("10.0.0.2", "", "Linux 5.0 - 5.14", nil)}),
			snap("b", []riskmap.Host{up("10.0.0.1", "", "Linux 6.1", nil), up("10.0.0.2", "", "", nil)}),
			[]string{"10.0.0.1 os_changed"}, "", "", []string{"Linux 5.0 - 5.14 -> Linux 6.1"}},
		{"summarised on both sides is skipped",
			snap("a", []riskmap.Host{up("10.0.0.1", "", "", map[string]int{"closed": 999})}, obs("10.0.0.1", 81, "closed", "hosts2-ns", "", "")),
			snap("b", []riskmap.Host{up("10.0.0.1", "", "", map[string]int{"closed": 1000})}),
			nil, "", "", nil},
		{"listed closed becomes unlisted while not summarised: closed_port",
			snap("a", []riskmap.Host{up("10.0.0.1", "", "", map[string]int{"filtered": 999})}, obs("10.0.0.1", 81, "closed", "hosts2-ns", "", "")),
			snap("b", []riskmap.Host{up("10.0.0.1", "", "", map[string]int{"closed": 1000})}),
			[]string{"10.0.0.1 81/tcp closed_port"}, "", "", []string{"closed hosts2-ns -> "}},
		{"ports outside the coverage of either scan are not compared",
			snap("a", nil, obs("10.0.0.1", 22, "open", "ssh", "", ""), obs("10.0.0.1", 8080, "open", "http-proxy", "", "")),
			snap("b", nil, obs("10.0.0.1", 22, "open", "ssh", "", ""), obs("10.0.0.1", 443, "open", "https", "", "")),
			[]string{"10.0.0.1 443/tcp new_port"}, "1-65535", "22,443", []string{" -> open https"}},
		{"hosts only in observations count as up",
			snap("a", nil),
			snap("b", nil, obs("10.0.0.9", 22, "open", "ssh", "", "")),
			[]string{"10.0.0.9 new_host"}, "", "", []string{" -> up"}},
		{"version and extra info",
			snap("a", nil, obs("10.0.0.1", 22, "open", "ssh", "OpenSSH", "8.9p1", "cpe:/a:openbsd:openssh:8.9p1")),
			snap("b", nil, obs("10.0.0.1", 22, "open", "ssh", "OpenSSH", "9.6p1", "cpe:/a:openbsd:openssh:9.6p1")),
			[]string{"10.0.0.1 22/tcp version_changed"}, "", "", []string{"OpenSSH 8.9p1 -> OpenSSH 9.6p1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.baseCov != "" {
				tc.base.Coverage, _ = baseline.ParsePorts(tc.baseCov)
			}
			if tc.curCov != "" {
				tc.cur.Coverage, _ = baseline.ParsePorts(tc.curCov)
			}
			got := baseline.Diff(tc.base, tc.cur)
			if c := changes(got); !reflect.DeepEqual(c, tc.want) {
				t.Errorf("got %q, want %q", c, tc.want)
			}
			for i, w := range tc.wantBody {
				if i < len(got) && got[i].Before+" -> "+got[i].After != w {
					t.Errorf("change %d: %q, want %q", i, got[i].Before+" -> "+got[i].After, w)
				}
			}
			for _, d := range got {
				if d.ScanID != tc.cur.Scan.ID || d.BaselineScanID != tc.base.Scan.ID || d.ScanTime.IsZero() {
					t.Errorf("diff %+v lacks its scans or time", d)
				}
			}
		})
	}
}

// The order of hosts and observations in the input never changes the output.
func TestDiffDeterministic(t *testing.T) {
	a := readSnapshot(t, "testdata/ndiff/hosts/a.xml")
	b := readSnapshot(t, "testdata/ndiff/hosts/b.xml")
	want := baseline.Diff(a, b)
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 20; i++ {
		r.Shuffle(len(a.Hosts), func(i, j int) { a.Hosts[i], a.Hosts[j] = a.Hosts[j], a.Hosts[i] })
		r.Shuffle(len(b.Observations), func(i, j int) { b.Observations[i], b.Observations[j] = b.Observations[j], b.Observations[i] })
		if got := baseline.Diff(a, b); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffle %d changed the output", i)
		}
	}
	if len(want) == 0 || want[0].IP != "127.0.0.3" {
		t.Errorf("want changes sorted by IP, got %q", changes(want))
	}
}
