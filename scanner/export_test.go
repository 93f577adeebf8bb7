package scanner_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
)

func exportTargets() []riskmap.Target {
	return []riskmap.Target{
		{AssetID: "i-redis", IP: "10.0.0.7", Ports: []int{6379, 22}, Tier: riskmap.TierDeep, Priority: 0.93,
			Why: []string{"3 of its 5 scans found a high or critical finding", "its latest scan found Redis open on 1 port"}},
		{AssetID: "i-v6", IP: "fd00::7", Ports: []int{443}, Tier: riskmap.TierStandard, Priority: 0.71},
		{AssetID: "i-out", IP: "192.0.2.10", Ports: []int{22}, Tier: riskmap.TierDeep, Priority: 0.7},
		{AssetID: "i-excluded", IP: "10.0.0.9", Tier: riskmap.TierLight, Priority: 0.6},
		{AssetID: "i-name", IP: "db.internal", Tier: riskmap.TierLight, Priority: 0.55},
		{AssetID: "i-redis-again", IP: "10.0.0.7", Ports: []int{80}, Tier: riskmap.TierLight, Priority: 0.5},
		{AssetID: "i-plain, \"quoted\"", IP: "::ffff:10.0.0.8", Tier: riskmap.TierLight, Priority: 0.2},
	}
}

func TestWriteTargets(t *testing.T) {
	scope := mustScope(t, []string{"10.0.0.0/24", "fd00::/64"}, []string{"10.0.0.9"})
	for _, format := range scanner.Formats() {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			refused, err := scanner.WriteTargets(&buf, format, scope, exportTargets())
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "targets/"+format+".golden", buf.Bytes())
			var got []string
			for _, r := range refused {
				got = append(got, r.Spec)
			}
			if fmt.Sprint(got) != "[i-out i-excluded i-name]" {
				t.Errorf("refused = %v, want the out-of-scope, excluded and named targets", refused)
			}
			for _, bad := range []string{"192.0.2.10", "10.0.0.9", "db.internal", "::ffff"} {
				if strings.Contains(buf.String(), bad) {
					t.Errorf("%s export contains %s", format, bad)
				}
			}
		})
	}
}

func TestWriteTargetsErrors(t *testing.T) {
	scope := mustScope(t, []string{"10.0.0.0/24"}, nil)
	if _, err := scanner.WriteTargets(&bytes.Buffer{}, "xml", scope, nil); err == nil || !strings.Contains(err.Error(), "want one of nmap, masscan") {
		t.Errorf("unknown format: err = %v", err)
	}
	if _, err := scanner.WriteTargets(&bytes.Buffer{}, "nmap", scanner.Scope{}, exportTargets()); !errors.Is(err, scanner.ErrNoScope) {
		t.Errorf("no scope: err = %v, want ErrNoScope", err)
	}
	bad := []riskmap.Target{{AssetID: "a", IP: "10.0.0.1", Ports: []int{70000}}}
	if _, err := scanner.WriteTargets(&bytes.Buffer{}, "naabu", scope, bad); err == nil || !strings.Contains(err.Error(), `target 0 (asset "a", 10.0.0.1): port 70000`) {
		t.Errorf("bad port: err = %v", err)
	}
}
