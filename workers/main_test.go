package workers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/workers"
)

// The test binary plays three parts, chosen by environment variables:
//   - the tests, in a private network namespace (netns.Main), where NATS listens on 127.0.0.1;
//   - a segment's lab (roleLab): one VPC of the estate served in its own, nested network
//     namespace, so that only that segment's addresses answer there;
//   - a worker (roleWorker): a child process in the tests' namespace (NATS is reachable),
//     whose nmap runs inside its segment's namespace through nsenter.
const (
	roleLab    = "RISKMAP_WORKERS_TEST_LAB"
	roleWorker = "RISKMAP_WORKERS_TEST_WORKER"
)

func TestMain(m *testing.M) {
	if v := os.Getenv(roleLab); v != "" {
		os.Exit(labMain(v))
	}
	if v := os.Getenv(roleWorker); v != "" {
		os.Exit(workerMain(v))
	}
	os.Exit(netns.Main(m))
}

// testEstate is the estate every test serves: three VPCs, one per segment; seed 3 has serious
// exposures in two of them.
func testEstate() *estate.Estate {
	cfg := estate.DefaultConfig()
	cfg.Hosts, cfg.Seed, cfg.Accounts, cfg.VPCs = 24, 3, 1, 3
	e, err := estate.New(cfg)
	if err != nil {
		panic(err) // a fixed, valid configuration
	}
	return e
}

// benchEstate is the benchmarks' estate: one VPC of 96 hosts.
func benchEstate() *estate.Estate {
	cfg := estate.DefaultConfig()
	cfg.Hosts, cfg.Seed, cfg.Accounts, cfg.VPCs = 96, 3, 1, 1
	e, err := estate.New(cfg)
	if err != nil {
		panic(err) // a fixed, valid configuration
	}
	return e
}

func estateNamed(name string) *estate.Estate {
	if name == "bench" {
		return benchEstate()
	}
	return testEstate()
}

// segmentEstate is e with only the instances of VPC vpc.
func segmentEstate(e *estate.Estate, vpc string) *estate.Estate {
	c := *e
	c.Instances = nil
	for _, in := range e.Instances {
		if in.VPC == vpc {
			c.Instances = append(c.Instances, in)
		}
	}
	return &c
}

// labMain serves VPC number v of testEstate in this (private) namespace until stdin closes.
func labMain(v string) int {
	if err := netns.LoopbackUp(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	name, idx, _ := strings.Cut(v, ":")
	i, err := strconv.Atoi(idx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	e := estateNamed(name)
	seg := segmentEstate(e, e.VPCs[i].ID)
	l, err := lab.Start(context.Background(), seg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer l.Close()
	fmt.Printf("ready %d\n", len(seg.Instances))
	bufio.NewReader(os.Stdin).ReadString('\n') // returns when the test closes the pipe
	return 0
}

// workerSpec is what a worker child gets, as JSON in roleWorker.
type workerSpec struct {
	ID, Segment, URL, User, Password, Nmap string
	Scope                                  []string
}

func workerMain(v string) int {
	var s workerSpec
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	scope, err := scanner.ParseScope(s.Scope, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	profiles, err := scanner.DefaultProfileConfig().Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	nc, err := workers.Connect(workers.ConnConfig{URL: s.URL, User: s.User, Password: s.Password, Segment: s.Segment, Name: s.ID})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer nc.Close()
	rc := labRunner()
	rc.Binary = s.Nmap
	w, err := workers.NewWorker(workers.WorkerConfig{Segment: s.Segment, ID: s.ID, Build: "test", Scope: scope,
		Runner: rc, Profiles: profiles, Heartbeat: 200 * time.Millisecond,
		Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, s.ID+": "+f+"\n", a...) }}, nc)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := w.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// labRunner is scanner's default runner tuned for loopback, as engine.LabRunner.
func labRunner() scanner.RunnerConfig {
	r := scanner.DefaultRunnerConfig()
	r.Rate = scanner.RateConfig{Initial: 20000, Min: 100, Max: 50000, Step: 5000, Decrease: 0.5, NoResponseShare: r.Rate.NoResponseShare}
	r.Parallel, r.HostTimeout, r.StatsEvery, r.PollEvery = 2, 2*time.Minute, time.Second, 200*time.Millisecond
	return r
}

// vpcPrefix is the lab address block of VPC number i (estate's address plan).
func vpcPrefix(i int) netip.Prefix {
	return netip.MustParsePrefix(fmt.Sprintf("127.%d.0.0/16", 10+i))
}
