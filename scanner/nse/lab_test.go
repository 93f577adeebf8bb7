package nse_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/scanner/nse"
)

var epoch = time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)

// checked is every kind the checks cover, the script that decides, and what its output must
// hold without credentials and with them ("" when the script is silent).
var checked = []struct {
	kind, script   string
	open, withAuth string
}{
	{estate.KindRedis, "riskmap-redis-auth", "access: unauthenticated", "access: auth-required"},
	{estate.KindRedis, "redis-info", "Version:", ""},
	{estate.KindMemcached, "riskmap-memcached-auth", "access: unauthenticated", "access: auth-required"},
	{estate.KindMemcached, "memcached-info", "Process ID:", ""},
	{estate.KindDocker, "riskmap-docker-api", "access: unauthenticated", "access: auth-required"},
	{estate.KindKubelet, "riskmap-kubelet-pods", "access: unauthenticated", "access: auth-required"},
	{estate.KindEtcd, "riskmap-etcd-keys", "access: unauthenticated", "access: auth-required"},
	{estate.KindElasticsearch, "riskmap-elasticsearch-indices", "access: unauthenticated", "access: auth-required"},
	{estate.KindMongoDB, "mongodb-databases", "sizeOnDisk", "not authorized"},
	{estate.KindVsftpd, "ftp-anon", "Anonymous FTP login allowed", ""},
}

// TestChecksAgainstTheLab runs riskmap's checks and the bundled scripts they complete with the
// real nmap against the lab's responders, one host of every covered service without
// credentials and one with, inside the test's private network namespace.
func TestChecksAgainstTheLab(t *testing.T) {
	netns.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	show := estate.Showcase(epoch)
	pick := map[string]estate.Service{}
	for _, in := range show.Instances {
		for _, s := range in.Services {
			if _, ok := pick[s.Kind]; !ok && s.Port == estate.DefaultPort(s.Kind) && s.Origin == estate.OriginImage &&
				!(s.Kind == estate.KindVsftpd && s.Version == "2.3.4") {
				pick[s.Kind] = s
			}
		}
	}
	e := &estate.Estate{Time: show.Time, Config: show.Config}
	ips := map[bool]string{false: "127.9.8.1", true: "127.9.8.2"}
	var ports []string
	for i, auth := range []bool{false, true} {
		in := estate.Instance{ID: fmt.Sprintf("i-0nse00000000000%d", i), Account: "000000000000", Region: "us-east-1",
			LabIP: ips[auth], OS: "Ubuntu 22.04", Platform: "linux", InstanceType: "t3.micro", AZ: "us-east-1a",
			LaunchedAt: epoch.Add(-24 * time.Hour), Tags: map[string]string{"Name": fmt.Sprintf("nse-%v", auth)}}
		for _, c := range checked {
			s, ok := pick[c.kind]
			if !ok {
				t.Fatalf("the showcase has no %s", c.kind)
			}
			if slices.ContainsFunc(in.Services, func(x estate.Service) bool { return x.Kind == c.kind }) {
				continue
			}
			s.Auth = auth
			in.Services = append(in.Services, s)
			if i == 0 {
				ports = append(ports, strconv.Itoa(s.Port))
			}
		}
		slices.SortFunc(in.Services, func(a, b estate.Service) int { return a.Port - b.Port })
		e.Instances = append(e.Instances, in)
	}
	l, err := lab.Start(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	paths, err := nse.Install(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	scripts := []string{"redis-info", "memcached-info", "mongodb-databases", "ftp-anon"}
	for _, n := range nse.Names() {
		scripts = append(scripts, paths[n])
	}
	// No -sV: every check must find its port by number alone, as it does when version
	// detection is off; http's TLS detection finds the kubelet's TLS itself.
	args := []string{"-n", "-Pn", "-sT", "--unprivileged", "-T4", "-oX", "-", "-p", strings.Join(ports, ","),
		"--script", strings.Join(scripts, ","), ips[false], ips[true]}
	cmd := exec.CommandContext(ctx, "nmap", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("nmap %v: %v\n%s", args, err, errb.String())
	}
	t.Logf("nmap with %d scripts on %d ports of 2 hosts: %v", len(scripts), len(ports), time.Since(start).Round(time.Millisecond))
	got := parse(t, out.Bytes())
	if testing.Verbose() {
		for addr, m := range got {
			for id, o := range m {
				t.Logf("%s %s:%s", addr, id, o)
			}
		}
	}
	for _, c := range checked {
		for _, auth := range []bool{false, true} {
			port := pick[c.kind].Port
			o, ran := got[fmt.Sprintf("%s:%d", ips[auth], port)][c.script]
			want := c.open
			if auth {
				want = c.withAuth
			}
			what := fmt.Sprintf("%s on %s (auth=%v)", c.script, c.kind, auth)
			switch {
			case want == "" && ran:
				t.Errorf("%s: printed %q, want nothing", what, o)
			case want != "" && !strings.Contains(o, want):
				t.Errorf("%s: output %q, want it to hold %q", what, o, want)
			}
			if strings.HasPrefix(c.script, "riskmap-") && ran {
				if first := strings.TrimSpace(strings.SplitN(strings.TrimSpace(o), "\n", 2)[0]); !strings.HasPrefix(first, "access: ") {
					t.Errorf("%s: first line %q, want the verdict (access: ...)", what, first)
				}
			}
		}
	}
	for _, want := range []struct{ addr, script, text string }{
		{ips[false] + ":10250", "riskmap-kubelet-pods", "pods: 2"},
		{ips[false] + ":2379", "riskmap-etcd-keys", "/registry/secrets/default/db-password"},
		{ips[false] + ":9200", "riskmap-elasticsearch-indices", "customers"},
		{ips[false] + ":2375", "riskmap-docker-api", "api: 1."},
		{ips[true] + ":2375", "riskmap-docker-api", "authorization denied by plugin"},
	} {
		if o := got[want.addr][want.script]; !strings.Contains(o, want.text) {
			t.Errorf("%s %s: output %q, want it to hold %q", want.addr, want.script, o, want.text)
		}
	}
}

// parse reads nmap's XML into address:port -> script id -> output.
func parse(t *testing.T, data []byte) map[string]map[string]string {
	t.Helper()
	var run struct {
		Hosts []struct {
			Addr struct {
				Addr string `xml:"addr,attr"`
			} `xml:"address"`
			Ports []struct {
				PortID  int `xml:"portid,attr"`
				Scripts []struct {
					ID     string `xml:"id,attr"`
					Output string `xml:"output,attr"`
				} `xml:"script"`
			} `xml:"ports>port"`
		} `xml:"host"`
	}
	if err := xml.Unmarshal(data, &run); err != nil {
		t.Fatalf("nmap xml: %v", err)
	}
	out := map[string]map[string]string{}
	for _, h := range run.Hosts {
		for _, p := range h.Ports {
			m := map[string]string{}
			for _, s := range p.Scripts {
				m[s.ID] = s.Output
			}
			out[fmt.Sprintf("%s:%d", h.Addr.Addr, p.PortID)] = m
		}
	}
	return out
}
