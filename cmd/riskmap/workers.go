package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"gopkg.in/yaml.v3"

	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/workers"
)

// runWorker runs a stateless scan worker of one segment.
func (m *Main) runWorker(ctx context.Context, args []string) error {
	fs := m.flags("worker", "--segment NAME --nats URL --scope FILE [--user U --password P | --nkey-seed FILE | --creds FILE] [--tls-ca FILE]",
		"Run a scan worker inside a network segment: pull the segment's jobs from NATS\nJetStream, check every address against the job's scope and the local --scope\nfile (a YAML allow/exclude list; anything outside it is refused and recorded),\nrun nmap, store the raw XML in the segment's object store, and ack only then.\nThe worker keeps no state: run as many per segment as the pool allows.")
	segment := fs.String("segment", "", "the segment this worker serves")
	url := fs.String("nats", "", "NATS server `URL`")
	creds := fs.String("creds", "", "NATS credentials `FILE` (JWT and NKey seed)")
	user := fs.String("user", "", "NATS user")
	password := fs.String("password", "", "NATS password (default $RISKMAP_NATS_PASSWORD)")
	tlsCA := fs.String("tls-ca", "", "CA `FILE` of the server's TLS certificate")
	nkeySeed := fs.String("nkey-seed", "", "NKey seed `FILE` (instead of --user and --password)")
	scopeFile := fs.String("scope", "", "local scope `FILE`: YAML with allow and exclude lists")
	id := fs.String("id", "", "worker name (default host-pid)")
	nmapBin := fs.String("nmap", "nmap", "nmap binary")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *segment == "" || *url == "" || *scopeFile == "" {
		return usageError("--segment, --nats and --scope are required")
	}
	if *password == "" {
		*password = m.Getenv("RISKMAP_NATS_PASSWORD")
	}
	scope, err := readScope(*scopeFile)
	if err != nil {
		return err
	}
	profiles, err := scanner.DefaultProfileConfig().Load()
	if err != nil {
		return err
	}
	nc, err := workers.Connect(workers.ConnConfig{URL: *url, Creds: *creds, User: *user, Password: *password,
		NKeySeed: *nkeySeed, TLSCA: *tlsCA, Segment: *segment, Name: "riskmap-worker-" + *segment})
	if err != nil {
		return err
	}
	defer nc.Close()
	rc := scanner.DefaultRunnerConfig()
	rc.Binary = *nmapBin
	log := m.logger()
	w, err := workers.NewWorker(workers.WorkerConfig{Segment: *segment, ID: *id, Build: build(), Scope: scope,
		Runner: rc, Profiles: profiles, Heartbeat: 2 * time.Second,
		Logf: func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...), "segment", *segment) }}, nc)
	if err != nil {
		return err
	}
	log.Info("worker started", "segment", *segment, "worker", w.ID(), "scope", scope.String())
	return w.Run(ctx)
}

// readScope reads a worker's local scope file.
func readScope(path string) (scanner.Scope, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return scanner.Scope{}, fmt.Errorf("scope: %w", err)
	}
	var c scanner.ScopeConfig
	if err := yaml.Unmarshal(b, &c); err != nil {
		return scanner.Scope{}, fmt.Errorf("scope %s: %w", path, err)
	}
	s, err := c.Scope()
	if err != nil {
		return scanner.Scope{}, fmt.Errorf("scope %s: %w", path, err)
	}
	if s.Empty() {
		return scanner.Scope{}, fmt.Errorf("scope %s: allow is empty: a worker scans nothing without it", path)
	}
	return s, nil
}

func build() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}

// runWorkers lists live workers.
func (m *Main) runWorkers(ctx context.Context, args []string) error {
	fs := m.flags("workers", "[--nats URL --user U --password P] [--json]",
		"List the live scan workers (heartbeat within workers.delivery.worker_ttl): their\nsegment, version, jobs done, refused and failed, and jobs in flight. The server is\nworkers.nats.url of riskmap.yaml, or the embedded server's address.")
	url := fs.String("nats", "", "NATS server `URL` (default from riskmap.yaml)")
	user := fs.String("user", "", "NATS user (default the coordinator's)")
	password := fs.String("password", "", "NATS password (default $RISKMAP_NATS_PASSWORD)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := engine.LoadConfig(m.workspace)
	if err != nil {
		return err
	}
	conn := workers.ConnConfig{URL: *url, User: *user, Password: *password, Name: "riskmap-workers"}
	if wc := cfg.Workers; wc != nil {
		switch {
		case conn.URL != "":
		case !wc.Embedded():
			conn = wc.NATS
		default:
			conn.URL = fmt.Sprintf("nats://%s:%d", wc.Server.Host, wc.Server.Port)
			if conn.User == "" {
				conn.User, conn.Password = wc.Server.Coordinator.Name, wc.Server.Coordinator.Password
			}
		}
	}
	if conn.URL == "" {
		return usageError("no NATS server: give --nats or configure workers: in riskmap.yaml")
	}
	if conn.Password == "" {
		conn.Password = m.Getenv("RISKMAP_NATS_PASSWORD")
	}
	nc, err := workers.Connect(conn)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	live, err := workers.Live(ctx, js)
	if err != nil {
		return err
	}
	if *asJSON {
		return m.printJSON(live)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEGMENT\tWORKER\tVERSION\tDONE\tREFUSED\tFAILED\tIN FLIGHT\tUP\tLAST SEEN")
	for _, w := range live {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", w.Segment, w.Worker, w.Build, w.Done, w.Refused, w.Failed,
			w.InFlight, w.Seen.Sub(w.Started).Round(time.Second), w.Seen.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func sortedSegments(r *workers.Report) []*workers.SegmentReport {
	out := make([]*workers.SegmentReport, 0, len(r.Segments))
	for _, s := range r.Segments {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Segment < out[j].Segment })
	return out
}

// openWorkers connects the loop to the segments' workers when riskmap.yaml has a workers:
// section (starting the embedded NATS server unless workers.nats.url names one).
func (m *Main) openWorkers(ctx context.Context, loop *engine.Loop) (func(), error) {
	if loop.Config.Workers == nil {
		return func() {}, nil
	}
	co, err := workers.Open(ctx, *loop.Config.Workers, m.workspace)
	if err != nil {
		return nil, err
	}
	loop.Dispatcher = co.Dispatcher
	m.logger().Info("scans go to workers", "nats", co.URL(), "segments", len(loop.Config.Workers.Segments))
	return func() { co.Close() }, nil
}
