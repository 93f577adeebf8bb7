package baseline_test

import (
	"fmt"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/baseline"
)

func ExampleDiff() {
	before := baseline.Snapshot{
		Scan:  riskmap.Scan{ID: "scan-1"},
		Hosts: []riskmap.Host{{IP: "10.0.0.5", Status: "up", ExtraPorts: map[string]int{"closed": 998}}},
		Observations: []riskmap.Observation{
			{IP: "10.0.0.5", Port: 22, Proto: "tcp", State: "open", Service: "ssh", Product: "OpenSSH", Version: "8.9p1"},
			{IP: "10.0.0.5", Port: 6379, Proto: "tcp", State: "open", Service: "redis"},
		},
	}
	after := baseline.Snapshot{
		Scan:  riskmap.Scan{ID: "scan-2"},
		Hosts: []riskmap.Host{{IP: "10.0.0.5", Status: "up", ExtraPorts: map[string]int{"closed": 998}}},
		Observations: []riskmap.Observation{
			{IP: "10.0.0.5", Port: 22, Proto: "tcp", State: "open", Service: "ssh", Product: "OpenSSH", Version: "9.6p1"},
			{IP: "10.0.0.5", Port: 2375, Proto: "tcp", State: "open", Service: "docker"},
		},
	}
	for _, d := range baseline.Diff(before, after) {
		fmt.Printf("%s %d/%s %s: %q -> %q\n", d.IP, d.Port, d.Proto, d.Change, d.Before, d.After)
	}
	// Output:
	// 10.0.0.5 22/tcp version_changed: "OpenSSH 8.9p1" -> "OpenSSH 9.6p1"
	// 10.0.0.5 2375/tcp new_port: "" -> "open docker"
	// 10.0.0.5 6379/tcp closed_port: "open redis" -> ""
}
