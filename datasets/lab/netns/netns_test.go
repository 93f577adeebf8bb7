package netns_test

import (
	"net"
	"os"
	"sort"
	"testing"

	"github.com/riskmap/riskmap/datasets/lab/netns"
)

func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

func TestOnlyLoopback(t *testing.T) {
	netns.Require(t)
	names, err := netns.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	if len(names) != 1 || names[0] != "lo" {
		t.Fatalf("interfaces in the private namespace = %v, want only lo", names)
	}
}

func TestLoopbackCarriesPackets(t *testing.T) {
	netns.Require(t)
	ln, err := net.Listen("tcp", "127.3.2.1:0")
	if err != nil {
		t.Fatalf("listen on 127.3.2.1 (lo should own all of 127/8): %v", err)
	}
	defer ln.Close()
	before, err := netns.ReadCounters()
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	after, err := netns.ReadCounters()
	if err != nil {
		t.Fatal(err)
	}
	if after["lo"].TxPackets <= before["lo"].TxPackets {
		t.Fatalf("lo tx packets did not grow: %d -> %d", before["lo"].TxPackets, after["lo"].TxPackets)
	}
}

func TestNoRouteOut(t *testing.T) {
	netns.Require(t)
	// A UDP "connect" sends nothing; it only asks the kernel for a route. In the private
	// namespace there is none to anything but loopback.
	c, err := net.Dial("udp", "192.0.2.1:9")
	if err == nil {
		c.Close()
		t.Fatal("a route to 192.0.2.1 exists inside the private namespace")
	}
}
