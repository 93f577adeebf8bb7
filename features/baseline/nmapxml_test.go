package baseline_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"os"
	"testing"
	"time"

	"github.com/Ullaakut/nmap/v3"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/baseline"
)

// readSnapshot is a small test-only reader of nmap XML into a Snapshot, through
// Ullaakut/nmap's types. The real parser is features/nmapxml; this one only needs what Diff
// compares.
func readSnapshot(t testing.TB, path string) baseline.Snapshot {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var run nmap.Run
	if err := xml.Unmarshal(data, &run); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	sum := sha256.Sum256(data)
	s := baseline.Snapshot{Scan: riskmap.Scan{
		ID:          hex.EncodeToString(sum[:8]),
		Started:     time.Time(run.Start).UTC(),
		Finished:    time.Time(run.Stats.Finished.Time).UTC(),
		Args:        run.Args,
		Complete:    run.Stats.Finished.Exit == "success",
		NmapVersion: run.Version,
		Source:      path,
	}}
	if run.ScanInfo.Services != "" {
		c, err := baseline.ParseScanInfo(run.ScanInfo.Protocol, run.ScanInfo.Services)
		if err != nil {
			t.Fatalf("%s: scaninfo: %v", path, err)
		}
		s.Coverage = c
	}
	for _, h := range run.Hosts {
		if len(h.Addresses) == 0 {
			continue
		}
		ip := h.Addresses[0].Addr
		at := time.Time(h.StartTime).UTC()
		host := riskmap.Host{ScanID: s.Scan.ID, ScanTime: at, IP: ip, Status: h.Status.State, Reason: h.Status.Reason,
			ExtraPorts: map[string]int{}}
		for _, e := range h.ExtraPorts {
			host.ExtraPorts[e.State] += e.Count
		}
		if len(h.OS.Matches) > 0 {
			host.OSMatch, host.OSAccuracy = h.OS.Matches[0].Name, h.OS.Matches[0].Accuracy
		}
		for _, sc := range h.HostScripts {
			host.Scripts = append(host.Scripts, riskmap.Script{ID: sc.ID, Output: sc.Output})
		}
		s.Hosts = append(s.Hosts, host)
		for _, p := range h.Ports {
			o := riskmap.Observation{ScanID: s.Scan.ID, ScanTime: at, IP: ip, Port: int(p.ID), Proto: p.Protocol,
				State: p.State.State, Reason: p.State.Reason, Service: p.Service.Name, Product: p.Service.Product,
				Version: p.Service.Version, ExtraInfo: p.Service.ExtraInfo, Tunnel: p.Service.Tunnel, OSMatch: host.OSMatch}
			for _, c := range p.Service.CPEs {
				o.CPEs = append(o.CPEs, string(c))
			}
			for _, sc := range p.Scripts {
				o.Scripts = append(o.Scripts, riskmap.Script{ID: sc.ID, Output: sc.Output})
			}
			s.Observations = append(s.Observations, o)
		}
	}
	return s
}
