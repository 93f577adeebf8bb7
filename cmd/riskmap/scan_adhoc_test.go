package main

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/scanner"
)

// TestScanAdHocTarget: `riskmap scan --targets 127.0.0.1` for an in-scope address that no
// inventory has scans it (as ip:127.0.0.1) and records what it found. It runs the real nmap
// in the package's private network namespace, against an SSH banner the test serves.
func TestScanAdHocTarget(t *testing.T) {
	netns.Require(t)
	ln, err := net.Listen("tcp", "127.0.0.1:22")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				c.Write([]byte("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n"))
				bufio.NewReader(c).ReadString('\n')
			}(c)
		}
	}()
	ws := t.TempDir()
	cfg := engine.DefaultConfig()
	cfg.Scope.Allow = []string{"127.0.0.0/8"}
	cfg.Runner = scanner.LabRunner(cfg.Runner)
	if err := engine.WriteConfig(ws, cfg); err != nil {
		t.Fatal(err)
	}
	for round := range 2 { // the same target twice: a stable identity, two recorded scans
		code, out, errOut := run(t, ws, "scan", "--targets", "127.0.0.1", "--tier", "light")
		if code != exitOK {
			t.Fatalf("round %d: exit %d\nstdout: %s\nstderr: %s", round, code, out, errOut)
		}
	}
	s, err := datasets.Open(ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	obs, err := datasets.ReadAll(ctx, s, datasets.TableObservations, nil, datasets.DecodeObservations)
	if err != nil {
		t.Fatal(err)
	}
	open := 0
	for _, o := range obs {
		if o.IP == "127.0.0.1" && o.Port == 22 && o.Open() {
			open++
		}
	}
	scans, err := datasets.ReadAll(ctx, s, datasets.TableScans, nil, datasets.DecodeScans)
	if err != nil {
		t.Fatal(err)
	}
	if open == 0 || len(scans) == 0 {
		t.Errorf("recorded %d scans and %d open observations of 127.0.0.1:22; want the scan recorded (%+v)", len(scans), open, obs)
	}
	if id := scanner.AdHocID(netip.MustParseAddr("::ffff:127.0.0.1")); id != "ip:127.0.0.1" {
		t.Errorf("AdHocID = %q", id)
	}
}
