package lab_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
)

// twoEpochs is a small estate before and after drift: on A, sshd is upgraded, mysql goes away
// and telnet is opened by hand; B is terminated and its address handed to C, which runs VNC.
func twoEpochs() (*estate.Estate, *estate.Estate) {
	svc := func(kind, version, banner string, port int) estate.Service {
		return estate.Service{Kind: kind, Version: version, Banner: banner, Port: port, Proto: "tcp", Name: kind, Product: kind, Auth: true}
	}
	a := estate.Instance{ID: "i-0a00000000000000a", LabIP: "127.9.1.1", LaunchedAt: epoch0.Add(-48 * time.Hour),
		Services: []estate.Service{svc(estate.KindOpenSSH, "7.4", "SSH-2.0-OpenSSH_7.4", 22), svc(estate.KindMySQL, "5.7.42", "5.7.42", 3306)}}
	b := estate.Instance{ID: "i-0b00000000000000b", LabIP: "127.9.1.2", LaunchedAt: epoch0.Add(-48 * time.Hour),
		Services: []estate.Service{svc(estate.KindVsftpd, "3.0.3", "", 21)}}
	e0 := &estate.Estate{Time: epoch0, Instances: []estate.Instance{a, b}}

	a1 := a
	a1.Services = []estate.Service{svc(estate.KindOpenSSH, "8.7", "SSH-2.0-OpenSSH_8.7", 22), svc(estate.KindTelnet, "0.17", "", 23)}
	c := estate.Instance{ID: "i-0c00000000000000c", LabIP: "127.9.1.2", LaunchedAt: epoch0.Add(time.Hour),
		Services: []estate.Service{svc(estate.KindVNC, "1.12.0", "RFB 003.008", 5900)}}
	e1 := &estate.Estate{Epoch: 1, Time: epoch0.Add(24 * time.Hour), Instances: []estate.Instance{a1, c}}
	return e0, e1
}

// portsOf lists the ports any epoch listens on, on every address of any epoch: what the test
// scans, so that closed ports are seen closed.
func portsOf(es ...*estate.Estate) []netip.AddrPort {
	var ips []netip.Addr
	var ports []uint16
	for _, e := range es {
		for _, in := range e.Instances {
			if a := netip.MustParseAddr(in.LabIP); !slices.Contains(ips, a) {
				ips = append(ips, a)
			}
			for _, s := range in.Services {
				if !slices.Contains(ports, uint16(s.Port)) {
					ports = append(ports, uint16(s.Port))
				}
			}
		}
	}
	var out []netip.AddrPort
	for _, a := range ips {
		for _, p := range ports {
			out = append(out, netip.AddrPortFrom(a, p))
		}
	}
	return out
}

// checkScan compares what nmap saw with e's observations: the same open ports, named the same.
func checkScan(t *testing.T, e *estate.Estate, got map[netip.AddrPort]seen) {
	t.Helper()
	want := map[netip.AddrPort]string{}
	for _, o := range e.Observations("want", e.Time) {
		want[netip.AddrPortFrom(netip.MustParseAddr(o.IP), uint16(o.Port))] = o.Service + "|" + o.Product + "|" + o.Version
	}
	for ap, s := range got {
		if w, ok := want[ap]; !ok {
			t.Errorf("epoch %d: %s open (%v), but nothing listens there", e.Epoch, ap, s)
		} else if g := s.Service + "|" + s.Product + "|" + s.Version; g != w {
			t.Errorf("epoch %d: %s is %s, want %s", e.Epoch, ap, g, w)
		}
	}
	for ap, w := range want {
		if _, ok := got[ap]; !ok {
			t.Errorf("epoch %d: %s (%s) not seen open", e.Epoch, ap, w)
		}
	}
}

func TestApplyChangesWhatNmapSees(t *testing.T) {
	netns.Require(t)
	e0, e1 := twoEpochs()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := lab.Start(ctx, e0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	targets := portsOf(e0, e1)
	checkScan(t, e0, scan(ctx, t, targets, "--version-light"))
	if err := l.Apply(ctx, e1); err != nil {
		t.Fatal(err)
	}
	got := scan(ctx, t, targets, "--version-light")
	checkScan(t, e1, got)
	ssh := got[netip.MustParseAddrPort("127.9.1.1:22")]
	if ssh.Version != "8.7" {
		t.Errorf("sshd upgrade not seen: %v", ssh)
	}
}

// TestApplyFollowsGeneratedDrift applies a few epochs of a generated estate and checks that
// the lab listens on exactly what each epoch runs.
func TestApplyFollowsGeneratedDrift(t *testing.T) {
	netns.Require(t)
	cfg := estate.DefaultConfig()
	cfg.Hosts = 60
	e := estate.Generate(cfg)
	ctx := context.Background()
	l, err := lab.Start(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for range 3 {
		e = e.Advance()
		if err := l.Apply(ctx, e); err != nil {
			t.Fatal(err)
		}
		var want []netip.AddrPort
		for _, in := range e.Instances {
			for _, s := range in.Services {
				want = append(want, netip.AddrPortFrom(netip.MustParseAddr(in.LabIP), uint16(s.Port)))
			}
		}
		slices.SortFunc(want, func(a, b netip.AddrPort) int { return a.Compare(b) })
		if got := l.Addrs(); !slices.Equal(got, want) {
			t.Fatalf("epoch %d: the lab listens on %d addresses, the estate runs %d services", e.Epoch, len(got), len(want))
		}
		for _, ev := range e.Events {
			if ev.Kind != estate.EventVersionChanged {
				continue
			}
			in := slices.IndexFunc(e.Instances, func(in estate.Instance) bool { return in.ID == ev.InstanceID })
			s := e.Instances[in].Services[slices.IndexFunc(e.Instances[in].Services, func(s estate.Service) bool { return s.Port == ev.Port })]
			if x, ok := exchanges[s.Kind]; ok && x.send == "" {
				got, err := talk(netip.AddrPortFrom(netip.MustParseAddr(ev.IP), uint16(ev.Port)), s, x)
				if err != nil || !x.want(got, s) {
					t.Fatalf("epoch %d: %s:%d after %s: %q, %v", e.Epoch, ev.IP, ev.Port, ev.Detail, got, err)
				}
			}
		}
	}
}
