package scanner_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Ullaakut/nmap/v3"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/scanner"
)

// These tests run the real nmap, and only inside the private network namespace that TestMain
// made (netns.Require), against listeners they start on 127.0.0.x and one closed port.

const sshBanner = "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n"

// listener accepts connections on one address, counts them, writes banner (if any) and holds
// each connection until the peer closes it.
type listener struct {
	ln      net.Listener
	accepts atomic.Int64
}

func listen(t *testing.T, addr, banner string) *listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	l := &listener{ln: ln}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.accepts.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				if banner != "" {
					_, _ = io.WriteString(c, banner)
				}
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	return l
}

// labProfiles scans only the predicted ports: the lab tiers never probe a port the test did
// not choose.
func labProfiles(t *testing.T) *scanner.Profiles {
	t.Helper()
	c := scanner.DefaultProfileConfig()
	c.Light = scanner.Profile{Predicted: true, Factor: 1, Detection: 0.4}
	c.Standard = scanner.Profile{Predicted: true, Version: "light", Factor: 1.2, Detection: 0.75}
	c.Deep = scanner.Profile{Predicted: true, Version: "normal", Factor: 1.5, Detection: 1}
	p, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func labRunner(t *testing.T, mod func(*scanner.RunnerConfig)) *scanner.Runner {
	t.Helper()
	cfg := scanner.DefaultRunnerConfig()
	cfg.Binary = "/usr/bin/nmap"
	cfg.PollEvery = 50 * time.Millisecond
	cfg.StatsEvery = time.Second
	cfg.HostTimeout = time.Minute
	cfg.RunTimeout = 2 * time.Minute
	cfg.TempDir = t.TempDir()
	cfg.Progress = func(scanner.Progress) {}
	if mod != nil {
		mod(&cfg)
	}
	r, err := scanner.NewRunner(cfg, labProfiles(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func parseRun(t *testing.T, data []byte) *nmap.Run {
	t.Helper()
	var run nmap.Run
	if err := nmap.Parse(data, &run); err != nil {
		t.Fatalf("parse nmap XML: %v\n%s", err, data)
	}
	return &run
}

// portStates maps "addr:port" to nmap's state and service for every host in run.
func portStates(run *nmap.Run) map[string]string {
	out := map[string]string{}
	for _, h := range run.Hosts {
		for _, p := range h.Ports {
			svc := p.Service.Name
			if p.Service.Product != "" {
				svc += " " + p.Service.Product
			}
			out[netip.AddrPortFrom(netip.MustParseAddr(h.Addresses[0].Addr), p.ID).String()] = p.State.State + " " + svc
		}
	}
	return out
}

func TestEndToEndLightAndStandard(t *testing.T) {
	netns.Require(t)
	listen(t, "127.0.0.21:2222", sshBanner)
	listen(t, "127.0.0.22:8080", "")
	listen(t, "127.0.0.23:6379", "")
	listen(t, "127.0.0.24:2222", sshBanner)
	excluded := listen(t, "127.0.0.25:2222", sshBanner)
	scope := mustScope(t, []string{"127.0.0.0/24"}, []string{"127.0.0.25"})

	prod := map[string]string{"env": "prod"}
	cands := []scanner.Candidate{
		{AssetID: "ssh", IPs: []netip.Addr{netip.MustParseAddr("127.0.0.21")}, Risk: 0.9, PredictedPorts: []int{2222, 2223}},
		{AssetID: "web", IPs: []netip.Addr{netip.MustParseAddr("127.0.0.22")}, Risk: 0.4, PredictedPorts: []int{8080, 2223}, Tags: prod},
		{AssetID: "cache", IPs: []netip.Addr{netip.MustParseAddr("127.0.0.23")}, Risk: 0.7, PredictedPorts: []int{6379, 2223}, Tags: prod},
		{AssetID: "pair", IPs: []netip.Addr{netip.MustParseAddr("127.0.0.24"), netip.MustParseAddr("127.0.0.25")}, Risk: 0.3,
			PredictedPorts: []int{2222, 2223}},
	}
	cfg := testConfig(1000)
	cfg.Exploration = 0
	// Quiet hours all day: standard at most for everyone, light for env=prod (web, cache: its
	// silent listener would keep version detection waiting).
	cfg.QuietHours = []scanner.QuietHours{
		{From: "00:00", To: "23:59", MaxTier: riskmap.TierStandard},
		{Tag: "env", Value: "prod", From: "00:00", To: "23:59", MaxTier: riskmap.TierLight},
	}
	plan, err := scanner.NewPlan(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), cands, cfg, labProfiles(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]riskmap.Tier{"ssh": riskmap.TierStandard, "cache": riskmap.TierLight, "web": riskmap.TierLight, "pair": riskmap.TierStandard}
	for id, tier := range want {
		if got := tierOf(plan, id); got != tier {
			t.Fatalf("plan gives %s %s, want %s", id, got, tier)
		}
	}

	sink, results := collect()
	err = labRunner(t, nil).Run(context.Background(), plan, scope, sink)
	var se *scanner.ScopeError
	if !errors.As(err, &se) || len(se.Refusals) != 1 || se.Refusals[0].Addr != netip.MustParseAddr("127.0.0.25") {
		t.Fatalf("Run = %v, want only the excluded 127.0.0.25 refused", err)
	}
	got := results()
	// standard on 2222,2223 (ssh and pair's in-scope address), light on 2223,6379 (cache),
	// light on 2223,8080 (web).
	if len(got) != 3 {
		t.Fatalf("%d batches, want 3", len(got))
	}
	states := map[string]string{}
	for _, res := range got {
		if res.Err != nil {
			t.Fatalf("batch %s: %v", res.Batch.Tier, res.Err)
		}
		args := res.Batch.Args
		if !slices.Contains(args, "-n") || !slices.Contains(args, "--exclude") || args[slices.Index(args, "--exclude")+1] != "127.0.0.25" {
			t.Errorf("args %v: want -n and --exclude 127.0.0.25", args)
		}
		if (res.Batch.Tier == riskmap.TierStandard) != slices.Contains(args, "--version-light") {
			t.Errorf("%s args %v: --version-light only on standard", res.Batch.Tier, args)
		}
		for _, a := range res.Batch.Addrs {
			if !scope.Contains(a) {
				t.Errorf("batch holds %s, out of scope", a)
			}
			if i := slices.Index(args, a.String()); i < 0 || i < len(args)-len(res.Batch.Addrs) {
				t.Errorf("%s is not among the trailing targets of %v", a, args)
			}
		}
		run := parseRun(t, res.XML)
		if !strings.Contains(run.Args, " -n ") || !strings.Contains(run.Args, " --exclude 127.0.0.25 ") ||
			strings.Contains(strings.Replace(run.Args, "--exclude 127.0.0.25", "", 1), "127.0.0.25") {
			t.Errorf("nmap ran as %q: want -n, --exclude 127.0.0.25 and that address nowhere else", run.Args)
		}
		for k, v := range portStates(run) {
			states[k] = v
		}
	}
	wantStates := map[string]string{
		"127.0.0.21:2222": "open ssh OpenSSH", // standard: version detection names it
		"127.0.0.21:2223": "closed ",
		"127.0.0.23:6379": "open ",
		"127.0.0.23:2223": "closed ",
		"127.0.0.22:8080": "open ",
		"127.0.0.22:2223": "closed ",
		"127.0.0.24:2222": "open ssh OpenSSH",
		"127.0.0.24:2223": "closed ",
	}
	for k, v := range wantStates {
		if !strings.HasPrefix(states[k], v) {
			t.Errorf("%s: nmap says %q, want %q...", k, states[k], v)
		}
	}
	for k := range states {
		if strings.HasPrefix(k, "127.0.0.25:") {
			t.Errorf("nmap reported the excluded address: %s", k)
		}
	}
	// Version detection connects to every open port it scans: the excluded address's twin
	// was connected to, the excluded address never.
	if n := excluded.accepts.Load(); n != 0 {
		t.Errorf("the excluded address was connected to %d times", n)
	}
}

// TestEndToEndScopeGuard runs in the otherwise empty namespace: what is out of scope never
// reaches nmap's arguments, and when the guard refuses everything not one packet crosses lo.
func TestEndToEndScopeGuard(t *testing.T) {
	netns.Require(t)
	listen(t, "127.0.0.31:2224", "")
	scope := mustScope(t, []string{"127.0.0.0/24"}, []string{"127.0.0.32/31"})
	r := labRunner(t, nil)

	t.Run("mixed plan", func(t *testing.T) {
		plan := mkPlan(item("mixed", riskmap.TierLight, "2224", "127.0.0.31", "127.0.0.32", "127.0.1.31", "10.0.0.1", "192.0.2.1", "::1"))
		sink, results := collect()
		err := r.Run(context.Background(), plan, scope, sink)
		var se *scanner.ScopeError
		if !errors.As(err, &se) || len(se.Refusals) != 5 {
			t.Fatalf("Run = %v, want 5 refusals", err)
		}
		got := results()
		if len(got) != 1 || got[0].Err != nil {
			t.Fatalf("results = %v, want one clean batch", got)
		}
		run := parseRun(t, got[0].XML)
		if len(run.Hosts) != 1 || run.Hosts[0].Addresses[0].Addr != "127.0.0.31" {
			t.Errorf("nmap scanned %v, want only 127.0.0.31", run.Hosts)
		}
		for _, bad := range []string{"127.0.0.32 ", "127.0.1.31", "10.0.0.1", "192.0.2.1", "::1"} {
			if strings.Contains(run.Args+" ", bad) && !strings.Contains(run.Args, "--exclude 127.0.0.32/31") {
				t.Errorf("nmap args %q contain %s", run.Args, bad)
			}
		}
		if !strings.HasSuffix(strings.Fields(run.Args)[len(strings.Fields(run.Args))-1], "127.0.0.31") {
			t.Errorf("nmap args %q: want 127.0.0.31 as the only target", run.Args)
		}
		if st := portStates(run)["127.0.0.31:2224"]; !strings.HasPrefix(st, "open") {
			t.Errorf("127.0.0.31:2224 is %q, want open", st)
		}
	})
	t.Run("everything refused sends nothing", func(t *testing.T) {
		before, err := netns.ReadCounters()
		if err != nil {
			t.Fatal(err)
		}
		plan := mkPlan(item("out", riskmap.TierStandard, "2224", "127.0.0.32", "127.0.0.33", "127.0.1.1", "198.51.100.7", "fd00::1"))
		sink, results := collect()
		err = r.Run(context.Background(), plan, scope, sink)
		after, cerr := netns.ReadCounters()
		if cerr != nil {
			t.Fatal(cerr)
		}
		var se *scanner.ScopeError
		if !errors.As(err, &se) || len(se.Refusals) != 5 || len(results()) != 0 {
			t.Fatalf("Run = %v with %d results, want 5 refusals and no batch", err, len(results()))
		}
		if before["lo"].TxPackets != after["lo"].TxPackets {
			t.Errorf("lo sent %d packets while the guard refused everything", after["lo"].TxPackets-before["lo"].TxPackets)
		}
	})
}

// TestEndToEndCancel cancels a run once nmap has finished the first host and gets that host
// back; the others are silent services that keep version detection waiting for seconds.
func TestEndToEndCancel(t *testing.T) {
	netns.Require(t)
	listen(t, "127.0.0.41:2222", sshBanner)
	listen(t, "127.0.0.42:2222", "")
	listen(t, "127.0.0.43:2222", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	var cancelled time.Time
	r := labRunner(t, func(c *scanner.RunnerConfig) {
		c.MaxHostgroup = 1 // nmap writes each host as soon as it is done
		c.Progress = func(p scanner.Progress) {
			if p.HostsDone >= 1 {
				once.Do(func() { cancelled = time.Now(); cancel() })
			}
		}
	})
	plan := mkPlan(item("three", riskmap.TierStandard, "2222,2223", "127.0.0.41", "127.0.0.42", "127.0.0.43"))
	sink, results := collect()
	err := r.Run(ctx, plan, mustScope(t, []string{"127.0.0.0/24"}, nil), sink)
	if !errors.Is(err, scanner.ErrInterrupted) {
		t.Fatalf("Run = %v, want ErrInterrupted", err)
	}
	// Each silent host holds version detection for 6s or more; Run must return well before.
	if d := time.Since(cancelled); d > 3*time.Second {
		t.Errorf("Run returned %s after the cancel", d)
	}
	got := results()
	if len(got) != 1 || !errors.Is(got[0].Err, scanner.ErrInterrupted) {
		t.Fatalf("results = %v, want the one interrupted batch", got)
	}
	data := got[0].XML
	if strings.Contains(string(data), "</nmaprun>") {
		t.Fatal("the XML is complete: the run was not interrupted")
	}
	if f := scanner.ReadFeedback(data); f.Hosts != 1 {
		t.Fatalf("%d hosts in the interrupted XML, want the 1 completed", f.Hosts)
	}
	// Truncated XML does not parse whole; close it the way features/nmapxml tolerates, and
	// check the completed host's findings.
	run := parseRun(t, append(bytes.Clone(data), []byte("</nmaprun>")...))
	states := portStates(run)
	if !strings.HasPrefix(states["127.0.0.41:2222"], "open ssh OpenSSH") || !strings.HasPrefix(states["127.0.0.41:2223"], "closed") {
		t.Errorf("completed host states = %v", states)
	}
}

// TestTargetsNmapAcceptsList hands the nmap export to the real nmap: a list scan (-sL -n)
// prints the targets it read and sends no packet.
func TestTargetsNmapAcceptsList(t *testing.T) {
	scope := mustScope(t, []string{"127.0.0.0/24"}, []string{"127.0.0.13"})
	targets := []riskmap.Target{
		{AssetID: "a", IP: "127.0.0.12", Priority: 0.9},
		{AssetID: "b", IP: "127.0.0.11", Priority: 0.8},
		{AssetID: "c", IP: "127.0.0.13", Priority: 0.7},
		{AssetID: "d", IP: "10.1.2.3", Priority: 0.6},
		{AssetID: "e", IP: "127.0.0.200", Priority: 0.5},
	}
	path := filepath.Join(t.TempDir(), "targets.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scanner.WriteTargets(f, scanner.FormatNmap, scope, targets); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/nmap", "-sL", "-n", "-iL", path, "-oX", "-").Output()
	if err != nil {
		t.Fatalf("nmap -sL: %v", err)
	}
	run := parseRun(t, out)
	var listed []string
	for _, h := range run.Hosts {
		listed = append(listed, h.Addresses[0].Addr)
	}
	if want := []string{"127.0.0.12", "127.0.0.11", "127.0.0.200"}; !slices.Equal(listed, want) {
		t.Fatalf("nmap listed %v, want %v in rank order", listed, want)
	}
}
