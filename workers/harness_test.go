package workers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/features/nmapxml"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/workers"
)

const coordPassword = "coordinator-secret"

// env is one test's NATS server, segment labs and coordinator connection.
type env struct {
	t     testing.TB
	e     *estate.Estate
	dir   string
	port  int
	srv   *workers.Server
	nc    *nats.Conn
	labs  []*labProc
	nsegs int
	name  string // the estate, for the lab processes
}

type labProc struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
	hosts int
	nmap  string // the wrapper that runs nmap in this lab's namespace
}

func segName(i int) string { return fmt.Sprintf("seg%d", i) }

func workerPassword(i int) string { return fmt.Sprintf("worker-%d-secret", i) }

// newEnv starts a lab per segment and the embedded NATS server.
func newEnv(t testing.TB, nsegs int) *env { return newEnvNamed(t, "test", nsegs) }

func newEnvNamed(t testing.TB, estateName string, nsegs int) *env {
	t.Helper()
	netns.Require(t)
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Fatalf("nsenter (util-linux) is needed to run a worker's nmap in its segment's namespace: %v", err)
	}
	v := &env{t: t, e: estateNamed(estateName), name: estateName, dir: t.TempDir(), port: freePort(t), nsegs: nsegs}
	for i := 0; i < nsegs; i++ {
		v.labs = append(v.labs, v.startLab(i))
	}
	v.startServer()
	return v
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (v *env) startServer() {
	t := v.t
	cfg := workers.DefaultServerConfig(filepath.Join(v.dir, "jetstream"))
	cfg.Port = v.port
	cfg.Coordinator = workers.User{Name: "coordinator", Password: coordPassword}
	for i := 0; i < v.nsegs; i++ {
		cfg.Workers = append(cfg.Workers, workers.User{Name: "w-" + segName(i), Password: workerPassword(i), Segment: segName(i)})
	}
	srv, err := workers.StartServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v.srv = srv
	nc, err := workers.Connect(workers.ConnConfig{URL: srv.URL(), User: "coordinator", Password: coordPassword, Name: "coordinator"})
	if err != nil {
		t.Fatal(err)
	}
	v.nc = nc
	t.Cleanup(v.stopServer)
}

// stopServer closes the coordinator's connection and the server, as a crash of the
// coordinator would; JetStream's files stay.
func (v *env) stopServer() {
	if v.nc != nil {
		v.nc.Close()
		v.nc = nil
	}
	if v.srv != nil {
		v.srv.Close()
		v.srv = nil
	}
}

func (v *env) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", v.port) }

// startLab serves segment i's VPC in a new network namespace.
func (v *env) startLab(i int) *labProc {
	t := v.t
	cmd, err := netns.Command()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%s:%d", roleLab, v.name, i))
	cmd.Stdin = nil
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = nil
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lp := &labProc{cmd: cmd, stdin: in}
	t.Cleanup(func() { in.Close(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if _, err2 := fmt.Sscanf(line, "ready %d", &lp.hosts); err != nil || err2 != nil {
		t.Fatalf("lab %d: %q %v %v", i, line, err, err2)
	}
	lp.nmap = filepath.Join(v.dir, fmt.Sprintf("nmap-%s", segName(i)))
	script := fmt.Sprintf("#!/bin/sh\nexec setpriv --pdeathsig KILL nsenter --net=/proc/%d/ns/net -- nmap \"$@\"\n", cmd.Process.Pid)
	if err := os.WriteFile(lp.nmap, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return lp
}

// loPackets is the number of packets lo has received in segment i's namespace.
func (v *env) loPackets(i int) uint64 {
	v.t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/dev", v.labs[i].cmd.Process.Pid))
	if err != nil {
		v.t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(name) == "lo" {
			var rxBytes, rxPackets uint64
			fmt.Sscan(rest, &rxBytes, &rxPackets)
			return rxPackets
		}
	}
	v.t.Fatalf("no lo in segment %d's namespace", i)
	return 0
}

// worker is a worker child process.
type worker struct {
	id  string
	cmd *exec.Cmd
	log *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startWorker starts a worker of segment seg whose local scope is scope (nil: its VPC's
// block), running nmap in lab's namespace.
func (v *env) startWorker(id string, seg int, scope []string) *worker {
	t := v.t
	if scope == nil {
		scope = []string{vpcPrefix(seg).String()}
	}
	spec, _ := json.Marshal(workerSpec{ID: id, Segment: segName(seg), URL: v.url(), User: "w-" + segName(seg),
		Password: workerPassword(seg), Nmap: v.labs[seg].nmap, Scope: scope})
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleWorker+"="+string(spec))
	w := &worker{id: id, cmd: cmd, log: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = w.log, w.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("worker %s log:\n%s", id, w.log.String())
		}
	})
	return w
}

// waitLive waits until n workers are listed.
func (v *env) waitLive(n int) {
	v.t.Helper()
	js := v.js()
	deadline := time.Now().Add(20 * time.Second)
	for {
		live, err := workers.Live(context.Background(), js)
		if err == nil && len(live) >= n {
			return
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("%d workers live after 20s, want %d (%v)", len(live), n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dispatchConfig has short ack waits so that redelivery is quick.
func (v *env) dispatchConfig() workers.DispatchConfig {
	c := workers.DefaultDispatchConfig()
	c.Delivery = workers.Delivery{AckWait: 2 * time.Second, MaxDeliver: 3, Retention: time.Hour, WorkerTTL: 2 * time.Second}
	c.JobHosts, c.Wait, c.Poll = 4, 40*time.Second, 200*time.Millisecond
	for i := 0; i < v.nsegs; i++ {
		c.Segments = append(c.Segments, workers.SegmentConfig{Name: segName(i), Networks: []string{v.e.VPCs[i].ID}, Pool: 2})
	}
	return c
}

// plan is one light item per instance of the first nsegs VPCs: the top 100 ports plus every
// port a service of the estate listens on (what the planner's predicted ports do): the test is
// of distribution, not of the planner, so the plan covers the whole truth.
func (v *env) plan() *scanner.Plan {
	profiles, err := scanner.DefaultProfileConfig().Load()
	if err != nil {
		v.t.Fatal(err)
	}
	var predicted []int
	for _, x := range v.e.Truth() {
		predicted = append(predicted, x.Port)
	}
	slices.Sort(predicted)
	predicted = slices.Compact(predicted)
	ports := profiles.Ports(riskmap.TierLight, predicted)
	p := &scanner.Plan{CreatedAt: v.e.Time}
	for _, in := range v.e.Instances {
		if !v.inSegments(in.VPC) {
			continue
		}
		ip, _ := netip.ParseAddr(in.LabIP)
		p.Items = append(p.Items, scanner.PlanItem{AssetID: in.ID, IPs: []netip.Addr{ip}, Network: in.VPC,
			Tier: riskmap.TierLight, Ports: ports, Probes: len(ports), Priority: 1})
		p.Probes += len(ports)
	}
	p.Budget = p.Probes
	return p
}

func (v *env) inSegments(vpc string) bool {
	for i := 0; i < v.nsegs; i++ {
		if v.e.VPCs[i].ID == vpc {
			return true
		}
	}
	return false
}

// scope is the coordinator's scope: the segments' blocks.
func (v *env) scope() scanner.Scope {
	var allow []string
	for i := 0; i < v.nsegs; i++ {
		allow = append(allow, vpcPrefix(i).String())
	}
	s, err := scanner.ParseScope(allow, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	return s
}

// collector is a sink that parses every XML it gets and remembers the open ports.
type collector struct {
	mu    sync.Mutex
	docs  int
	bytes int
	open  map[string]bool // ip:port
	hosts map[string]string
	xml   [][]byte
}

func newCollector() *collector {
	return &collector{open: map[string]bool{}, hosts: map[string]string{}}
}

func (c *collector) sink(r scanner.Result) error {
	parsed, err := nmapxml.Parse(r.XML, nmapxml.Options{Source: "test"})
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.docs++
	c.bytes += len(r.XML)
	c.xml = append(c.xml, r.XML)
	for _, o := range parsed.Observations {
		if o.Open() {
			c.open[fmt.Sprintf("%s:%d", o.IP, o.Port)] = true
		}
	}
	for _, h := range parsed.Hosts {
		c.hosts[h.IP] = r.Batch.Network
	}
	return nil
}

func (v *env) js() jetstream.JetStream {
	js, err := jetstream.New(v.nc)
	if err != nil {
		v.t.Fatal(err)
	}
	return js
}
