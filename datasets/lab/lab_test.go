package lab_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
)

func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

var epoch0 = time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)

// TestNmapNamesEveryResponder serves one of every build of every kind and checks that nmap
// reports each exactly as estate predicts: -sV --version-light as NmapLight, -sV as Nmap, and
// the deep tier's -sV -sC with redis-info, memcached-info and riskmap's checks as NmapDeep,
// scripts included, on
// the kinds whose scripts findings read (a full -sC run of the showcase takes about 30 s more
// and names every other kind as -sV does).
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
	scripted := []string{estate.KindVsftpd, estate.KindVNC, estate.KindRedis, estate.KindMemcached, estate.KindMongoDB,
		estate.KindDocker, estate.KindKubelet, estate.KindEtcd, estate.KindElasticsearch}
	// riskmap's checks, read where scanner/nse keeps them (the lab sits below the scanner and
	// does not import it).
	checks, err := filepath.Glob(filepath.Join("..", "..", "scanner", "nse", "scripts", "riskmap-*.nse"))
	if err != nil || len(checks) == 0 {
		t.Fatalf("riskmap's NSE checks: %v (found %d)", err, len(checks))
	}
	deep := "default,redis-info,memcached-info"
	for _, c := range checks {
		abs, err := filepath.Abs(c)
		if err != nil {
			t.Fatal(err)
		}
		deep += "," + abs
	}
	runs := []struct {
		name  string
		args  []string
		kinds []string // nil for every kind
		view  func(*estate.Instance, estate.Service, time.Time) estate.NmapView
	}{
		{"light", []string{"--version-light"}, nil, (*estate.Instance).NmapLight},
		{"default", nil, nil, (*estate.Instance).Nmap},
		{"deep", []string{"-sC", "--script", deep}, scripted, (*estate.Instance).NmapDeep},
	}
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			t.Parallel()
			var targets []netip.AddrPort
			for _, in := range e.Instances {
				for _, s := range in.Services {
					if run.kinds == nil || slices.Contains(run.kinds, s.Kind) {
						targets = append(targets, netip.AddrPortFrom(netip.MustParseAddr(in.LabIP), uint16(s.Port)))
					}
				}
			}
			got := scan(ctx, t, targets, run.args...)
			for _, in := range e.Instances {
				for _, s := range in.Services {
					ap := netip.AddrPortFrom(netip.MustParseAddr(in.LabIP), uint16(s.Port))
					if !slices.Contains(targets, ap) {
						continue
					}
					what := fmt.Sprintf("%s (%s %s auth=%v)", ap, s.Kind, s.Version, s.Auth)
					w := run.view(&in, s, e.Time)
					g, ok := got[ap]
					if !ok {
						t.Errorf("%s: not open", what)
						continue
					}
					if run.name == "deep" && s.Kind == estate.KindMongoDB && g.Product == w.Product+" "+s.Version {
						g.Product = w.Product // nmap's own race between two scripts; see NmapDeep
					}
					if g.Service != w.Service || g.Product != w.Product || g.Version != w.Version || g.ExtraInfo != w.ExtraInfo ||
						g.Tunnel != w.Tunnel || !slices.Equal(g.CPEs, w.CPEs) {
						t.Errorf("%s:\n got  %v\n want %s/%s %q %q %q %v", what, g, w.Tunnel, w.Service, w.Product, w.Version, w.ExtraInfo, w.CPEs)
					}
					for _, sc := range w.Scripts {
						if out, ok := g.Scripts[sc.ID]; !ok || sameLines(out) != sameLines(sc.Output) {
							t.Errorf("%s: script %s:\n got  %q\n want %q", what, sc.ID, out, sc.Output)
						}
					}
				}
			}
		})
	}
}

// sameLines puts a script's output lines in order: nmap prints the keys of a Lua table (the
// MongoDB scripts) in an order that changes from run to run.
func sameLines(out string) string {
	lines := strings.Split(out, "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
