package baseline_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/baseline"
)

// xmlNode is any element of ndiff's XML output.
type xmlNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []xmlNode  `xml:",any"`
}

func (n xmlNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n xmlNode) child(name string) (xmlNode, bool) {
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			return c, true
		}
	}
	return xmlNode{}, false
}

func (n xmlNode) children(name string) []xmlNode {
	var out []xmlNode
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
	}
	return out
}

// runNdiff runs Debian's ndiff --xml on two nmap XML files and returns the changes it
// reports as a set of "IP kind" (host level) or "IP port/proto kind" strings. Kinds it has no
// riskmap equivalent for are named script_changed and host_script_changed.
func runNdiff(t *testing.T, a, b string) map[string]bool {
	t.Helper()
	path, err := exec.LookPath("ndiff")
	if err != nil {
		t.Fatalf("ndiff not found (make setup installs it): %v", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(path, "--xml", a, b)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1 means "different"
		t.Fatalf("ndiff %s %s: %v\n%s", a, b, err, stderr.String())
	}
	var root xmlNode
	if err := xml.Unmarshal(stdout.Bytes(), &root); err != nil {
		t.Fatalf("ndiff output: %v\n%s", err, stdout.String())
	}
	out := map[string]bool{}
	scandiff, _ := root.child("scandiff")
	for _, hd := range scandiff.children("hostdiff") {
		if h, ok := hd.child("host"); ok {
			ndiffHost(h, out)
			continue
		}
		for side, kind := range map[string]string{"a": riskmap.ChangeHostGone, "b": riskmap.ChangeNewHost} {
			if s, ok := hd.child(side); ok {
				h, _ := s.child("host")
				out[hostAddr(h)+" "+kind] = true
			}
		}
	}
	return out
}

func hostAddr(h xmlNode) string {
	if a, ok := h.child("address"); ok {
		return a.attr("addr")
	}
	for _, side := range []string{"a", "b"} {
		if s, ok := h.child(side); ok {
			if a, ok := s.child("address"); ok {
				return a.attr("addr")
			}
		}
	}
	return "?"
}

func ndiffHost(h xmlNode, out map[string]bool) {
	ip := hostAddr(h)
	sa, okA := h.child("a")
	sb, okB := h.child("b")
	if okA && okB {
		if _, ok := sa.child("status"); ok {
			out[ip+" "+riskmap.ChangeHostState] = true
		}
		_ = sb
	}
	if ports, ok := h.child("ports"); ok {
		for _, pd := range ports.children("portdiff") {
			if p, ok := pd.child("port"); ok { // same state: a service or script change
				spec := p.attr("portid") + "/" + p.attr("protocol")
				a, okA := p.child("a")
				b, okB := p.child("b")
				_, svcA := a.child("service")
				_, svcB := b.child("service")
				switch {
				case okA && okB && (svcA || svcB):
					sA, _ := a.child("service")
					sB, _ := b.child("service")
					kind := riskmap.ChangeVersionChanged
					if sA.attr("name") != sB.attr("name") || sA.attr("product") != sB.attr("product") {
						kind = riskmap.ChangeServiceChanged
					}
					out[ip+" "+spec+" "+kind] = true
				default:
					out[ip+" "+spec+" script_changed"] = true
				}
				continue
			}
			a, _ := pd.child("a")
			b, _ := pd.child("b")
			pa, _ := a.child("port")
			pb, _ := b.child("port")
			spec := pa.attr("portid") + "/" + pa.attr("protocol")
			_, stA := pa.child("state")
			_, stB := pb.child("state")
			switch {
			case !stA:
				out[ip+" "+spec+" "+riskmap.ChangeNewPort] = true
			case !stB:
				out[ip+" "+spec+" "+riskmap.ChangeClosedPort] = true
			default:
				out[ip+" "+spec+" "+riskmap.ChangePortStateChanged] = true
			}
		}
	}
	if osn, ok := h.child("os"); ok {
		for _, c := range osn.Nodes {
			if n := c.XMLName.Local; n == "a" || n == "b" {
				out[ip+" "+riskmap.ChangeOSChanged] = true
			}
		}
	}
	if _, ok := h.child("hostscript"); ok {
		out[ip+" host_script_changed"] = true
	}
}

// riskmapSet writes Diff's output in runNdiff's form.
func riskmapSet(ds []riskmap.Diff) map[string]bool {
	out := map[string]bool{}
	for _, d := range ds {
		if d.HostLevel() {
			out[d.IP+" "+d.Change] = true
		} else {
			out[fmt.Sprintf("%s %d/%s %s", d.IP, d.Port, d.Proto, d.Change)] = true
		}
	}
	return out
}

func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkParity asserts that riskmap and ndiff report the same set of changes, apart from the
// deliberate differences the case names (see doc.go), and that each named difference really
// happens, so that the list cannot go stale.
func checkParity(t *testing.T, got, nd map[string]bool, riskmapOnly, ndiffOnly []string) {
	t.Helper()
	for _, k := range riskmapOnly {
		if !got[k] {
			t.Errorf("riskmap was expected to report %q beyond ndiff, and did not", k)
		}
		if nd[k] {
			t.Errorf("%q is listed as riskmap-only but ndiff reports it too", k)
		}
		delete(got, k)
	}
	for _, k := range ndiffOnly {
		if !nd[k] {
			t.Errorf("ndiff was expected to report %q beyond riskmap, and did not", k)
		}
		if got[k] {
			t.Errorf("%q is listed as ndiff-only but riskmap reports it too", k)
		}
		delete(nd, k)
	}
	if g, n := sorted(got), sorted(nd); strings.Join(g, "\n") != strings.Join(n, "\n") {
		t.Errorf("change sets differ\n riskmap: %q\n ndiff:   %q", g, n)
	}
}

func TestNdiffParity(t *testing.T) {
	tests := []struct {
		dir         string
		want        []string // riskmap's changes, sorted, as "IP [port/proto] kind"
		riskmapOnly []string
		ndiffOnly   []string
	}{
		{"ports_opened_closed", []string{"127.0.0.2 443/tcp new_port", "127.0.0.2 80/tcp closed_port"}, nil, nil},
		{"state_changes", []string{"127.0.0.2 22/tcp port_state_changed", "127.0.0.2 25/tcp port_state_changed",
			"127.0.0.2 443/tcp port_state_changed", "127.0.0.2 80/tcp port_state_changed"}, nil, nil},
		{"service_version", []string{"127.0.0.2 22/tcp version_changed", "127.0.0.2 3306/tcp version_changed",
			"127.0.0.2 80/tcp service_changed"}, nil, nil},
		// ndiff lists the ports of a host that went down as removed; riskmap says the host
		// changed state, once.
		{"hosts", []string{"127.0.0.3 host_gone", "127.0.0.4 new_host", "127.0.0.5 host_state_changed"},
			nil, []string{"127.0.0.5 6379/tcp closed_port"}},
		{"os_changed", []string{"127.0.0.2 os_changed"}, nil, nil},
		// A host that goes down lists the ports that went away; one that comes up lists its
		// ports (filtered ones too) as new; down in both says nothing.
		{"host_up_down", []string{"127.0.0.2 22/tcp closed_port", "127.0.0.2 80/tcp closed_port", "127.0.0.2 host_state_changed",
			"127.0.0.3 22/tcp new_port", "127.0.0.3 443/tcp new_port", "127.0.0.3 8080/tcp new_port", "127.0.0.3 host_state_changed"}, nil, nil},
		// Timings, port order, CPE order and "Not shown" counts are noise to both. riskmap adds
		// the TLS tunnel (8443) and a CPE-only change (9100); ndiff adds script output (9000).
		{"noise_and_extras", []string{"127.0.0.2 8443/tcp service_changed", "127.0.0.2 9100/tcp cpe_changed"},
			[]string{"127.0.0.2 8443/tcp service_changed", "127.0.0.2 9100/tcp cpe_changed"},
			[]string{"127.0.0.2 9000/tcp script_changed"}},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			a := filepath.Join("testdata", "ndiff", tc.dir, "a.xml")
			b := filepath.Join("testdata", "ndiff", tc.dir, "b.xml")
			diffs := baseline.Diff(readSnapshot(t, a), readSnapshot(t, b))
			got := riskmapSet(diffs)
			if g := sorted(got); strings.Join(g, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("riskmap changes\n got  %q\n want %q", g, tc.want)
			}
			checkParity(t, got, runNdiff(t, a, b), tc.riskmapOnly, tc.ndiffOnly)
			golden(t, filepath.Join("testdata", "golden", tc.dir+".golden.json"), diffs)
		})
	}
}
