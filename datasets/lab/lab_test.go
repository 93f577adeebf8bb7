package lab_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
)

func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

var epoch0 = time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)

// TestNmapNamesEveryResponder serves one of every build of every kind and checks that nmap -sV
// reports each exactly as estate's NmapView (and so Observations) says, at light and default
// intensity.
func TestNmapNamesEveryResponder(t *testing.T) {
	netns.Require(t)
	e := estate.Showcase(epoch0)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	l, err := lab.Start(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for _, intensity := range []string{"light", "default"} {
		t.Run(intensity, func(t *testing.T) {
			t.Parallel()
			want := map[netip.AddrPort]estate.NmapView{}
			kinds := map[netip.AddrPort]string{}
			for _, in := range e.Instances {
				for _, s := range in.Services {
					ap := netip.AddrPortFrom(netip.MustParseAddr(in.LabIP), uint16(s.Port))
					want[ap] = in.Nmap(s, e.Time)
					if intensity == "light" {
						want[ap] = in.NmapLight(s, e.Time)
					}
					kinds[ap] = fmt.Sprintf("%s %s auth=%v", s.Kind, s.Version, s.Auth)
				}
			}
			var extra []string
			if intensity == "light" {
				extra = []string{"--version-light"}
			}
			got := scan(ctx, t, l.Addrs(), extra...)
			for ap, w := range want {
				g, ok := got[ap]
				if !ok {
					t.Errorf("%s (%s): not open", ap, kinds[ap])
					continue
				}
				if g.Service != w.Service || g.Product != w.Product || g.Version != w.Version || g.ExtraInfo != w.ExtraInfo ||
					g.Tunnel != w.Tunnel || !slices.Equal(g.CPEs, w.CPEs) {
					t.Errorf("%s (%s):\n got  %v\n want %s/%s %q %q %q %v", ap, kinds[ap], g, w.Tunnel, w.Service, w.Product, w.Version, w.ExtraInfo, w.CPEs)
				}
			}
		})
	}
}
