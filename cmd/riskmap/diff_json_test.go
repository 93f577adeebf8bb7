package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
)

// TestDiffJSONHostLevel: in `diff --json` a host-level change has no port (port 0 is a real
// port), and a host that came up or went down lists its ports, as ndiff does.
func TestDiffJSONHostLevel(t *testing.T) {
	dir := "../../features/baseline/testdata/ndiff/host_up_down/"
	code, out, errOut := run(t, t.TempDir(), "diff", "--json", dir+"a.xml", dir+"b.xml")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var host, port int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		_, hasPort := m["port"]
		_, hasProto := m["proto"]
		switch m["change"] {
		case "host_state_changed":
			host++
			if hasPort || hasProto {
				t.Errorf("host-level change carries a port: %s", line)
			}
		case "new_port", "closed_port":
			port++
			if !hasPort || !hasProto || m["port"].(float64) == 0 {
				t.Errorf("port change lacks its port: %s", line)
			}
		default:
			t.Errorf("unexpected change %s", line)
		}
	}
	if host != 2 || port != 5 {
		t.Errorf("%d host and %d port changes, want 2 and 5:\n%s", host, port, out)
	}
}

// TestFindingJSONHostLevel: the same rule for findings: a host-level finding has no port,
// and a finding on port 0 keeps its port.
func TestFindingJSONHostLevel(t *testing.T) {
	host := findingJSON(riskmap.Finding{IP: "127.0.0.2", RuleID: "smb-v1"})
	if _, ok := host["port"]; ok {
		t.Errorf("host-level finding carries a port: %v", host)
	}
	zero := findingJSON(riskmap.Finding{IP: "127.0.0.2", Port: 0, Proto: "tcp", RuleID: "x"})
	if p, ok := zero["port"]; !ok || p != 0 || zero["proto"] != "tcp" {
		t.Errorf("a finding on port 0/tcp lost its port: %v", zero)
	}
}
