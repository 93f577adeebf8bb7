package lab_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nmapRun is the part of nmap's XML output the tests read.
type nmapRun struct {
	Hosts []struct {
		Addresses []struct {
			Addr string `xml:"addr,attr"`
		} `xml:"address"`
		Ports []struct {
			Protocol string `xml:"protocol,attr"`
			PortID   int    `xml:"portid,attr"`
			State    struct {
				State string `xml:"state,attr"`
			} `xml:"state"`
			Service struct {
				Name      string   `xml:"name,attr"`
				Product   string   `xml:"product,attr"`
				Version   string   `xml:"version,attr"`
				ExtraInfo string   `xml:"extrainfo,attr"`
				Tunnel    string   `xml:"tunnel,attr"`
				Method    string   `xml:"method,attr"`
				CPEs      []string `xml:"cpe"`
			} `xml:"service"`
			Scripts []struct {
				ID     string `xml:"id,attr"`
				Output string `xml:"output,attr"`
			} `xml:"script"`
		} `xml:"ports>port"`
	} `xml:"host"`
}

// seen is what nmap reported for one open port.
type seen struct {
	Service, Product, Version, ExtraInfo, Tunnel, Method string
	CPEs                                                 []string
	Scripts                                              map[string]string
}

// scan runs nmap -sV against the lab's addresses (-n, explicit IPs in 127.0.0.0/8) on the ports
// the lab serves (the union over those addresses: inside the test's private namespace every
// port of these addresses is the lab's, open or closed), and returns what it saw of each open
// port.
func scan(ctx context.Context, t *testing.T, addrs []netip.AddrPort, extra ...string) map[netip.AddrPort]seen {
	t.Helper()
	var ips []string
	var ports []int
	for _, ap := range addrs {
		if !ap.Addr().Is4() || ap.Addr().As4()[0] != 127 {
			t.Fatalf("refusing to scan %s: not in 127.0.0.0/8", ap)
		}
		if ip := ap.Addr().String(); !slices.Contains(ips, ip) {
			ips = append(ips, ip)
		}
		if p := int(ap.Port()); !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	slices.Sort(ports)
	ps := make([]string, len(ports))
	for i, p := range ports {
		ps[i] = strconv.Itoa(p)
	}
	args := append([]string{"-n", "-Pn", "-sT", "--unprivileged", "-T4", "--min-parallelism", "200", "-sV", "-oX", "-", "-p", strings.Join(ps, ",")}, extra...)
	args = append(args, ips...)
	cmd := exec.CommandContext(ctx, "nmap", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("nmap %v: %v\n%s", args, err, errb.String())
	}
	t.Logf("nmap %s: %v (cpu %v)", strings.Join(extra, " "), time.Since(start).Round(time.Millisecond),
		(cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Round(time.Millisecond))
	var run nmapRun
	if err := xml.Unmarshal(out.Bytes(), &run); err != nil {
		t.Fatalf("nmap xml: %v", err)
	}
	got := map[netip.AddrPort]seen{}
	for _, h := range run.Hosts {
		a := netip.MustParseAddr(h.Addresses[0].Addr)
		for _, p := range h.Ports {
			if p.State.State != "open" {
				continue
			}
			s := seen{Service: p.Service.Name, Product: p.Service.Product, Version: p.Service.Version,
				ExtraInfo: p.Service.ExtraInfo, Tunnel: p.Service.Tunnel, Method: p.Service.Method, CPEs: p.Service.CPEs,
				Scripts: map[string]string{}}
			for _, sc := range p.Scripts {
				s.Scripts[sc.ID] = sc.Output
			}
			got[netip.AddrPortFrom(a, uint16(p.PortID))] = s
		}
	}
	return got
}

func (s seen) String() string {
	return fmt.Sprintf("%s/%s %q %q %q %v (%s)", s.Tunnel, s.Service, s.Product, s.Version, s.ExtraInfo, s.CPEs, s.Method)
}
