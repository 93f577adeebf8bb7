package lab_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
)

// TestStartRefusesOutsideAPrivateNamespace unsets the marker netns.Private checks (without
// leaving the namespace) and expects Start to refuse before it listens anywhere.
func TestStartRefusesOutsideAPrivateNamespace(t *testing.T) {
	t.Setenv("RISKMAP_NETNS_PARENT", "")
	if netns.Private() {
		t.Fatal("netns.Private is still true with its marker unset")
	}
	l, err := lab.Start(context.Background(), estate.Showcase(epoch0))
	if !errors.Is(err, lab.ErrNotPrivate) || l != nil {
		t.Fatalf("Start outside a private namespace = %v, %v; want ErrNotPrivate", l, err)
	}
}

func TestStartRefusesAddressesOffLoopback(t *testing.T) {
	netns.Require(t)
	for _, ip := range []string{"10.0.0.5", "192.0.2.1", "0.0.0.0", "::1", "::ffff:127.0.0.2", "", "localhost"} {
		t.Run(ip, func(t *testing.T) {
			e := estate.Showcase(epoch0)
			e.Instances[len(e.Instances)-1].LabIP = ip
			l, err := lab.Start(context.Background(), e)
			if !errors.Is(err, lab.ErrAddress) || l != nil {
				t.Fatalf("Start with LabIP %q = %v, %v; want ErrAddress", ip, l, err)
			}
		})
	}
}

func TestApplyRefusesTooAndCloseEndsIt(t *testing.T) {
	netns.Require(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := lab.Start(ctx, estate.Showcase(epoch0))
	if err != nil {
		t.Fatal(err)
	}
	bad := estate.Showcase(epoch0)
	bad.Instances[0].LabIP = "198.51.100.7"
	if err := l.Apply(ctx, bad); !errors.Is(err, lab.ErrAddress) {
		t.Fatalf("Apply with an address off loopback = %v, want ErrAddress", err)
	}
	if len(l.Addrs()) == 0 {
		t.Fatal("a refused Apply tore the lab down")
	}
	cancel() // the lab ends with its context
	deadline := time.Now().Add(5 * time.Second)
	for len(l.Addrs()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d listeners 5s after the context ended", len(l.Addrs()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := l.Apply(context.Background(), estate.Showcase(epoch0)); !errors.Is(err, lab.ErrClosed) {
		t.Fatalf("Apply after Close = %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
