package workers

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/riskmap/riskmap/scanner"
)

// WorkerConfig configures one worker.
type WorkerConfig struct {
	Segment string
	// ID names the worker in heartbeats and results ("" means hostname-pid).
	ID string
	// Build is the worker's software version, shown by `riskmap workers`.
	Build string
	// Scope is the worker's local allow-list: it refuses any job with an address outside it,
	// whatever the job's own scope says.
	Scope scanner.Scope
	// Runner runs nmap. Parallel and BatchHosts apply inside one job.
	Runner   scanner.RunnerConfig
	Profiles *scanner.Profiles
	// Heartbeat is how often the worker refreshes its WorkersBucket entry.
	Heartbeat time.Duration
	// Progress is how often a running job is marked InProgress; 0 means a third of the
	// consumer's AckWait.
	Progress time.Duration
	// Logf, when set, receives one line per job.
	Logf func(format string, args ...any)
	Now  func() time.Time
}

// Validate checks c.
func (c WorkerConfig) Validate() error {
	if err := CheckSegment(c.Segment); err != nil {
		return fmt.Errorf("worker segment: %w", err)
	}
	switch {
	case c.Scope.Empty():
		return fmt.Errorf("worker scope: empty: a worker needs a local allow-list (--scope)")
	case c.Profiles == nil:
		return fmt.Errorf("worker profiles: none given")
	case c.Heartbeat <= 0:
		return fmt.Errorf("worker heartbeat %s: want > 0", c.Heartbeat)
	case c.Progress < 0:
		return fmt.Errorf("worker progress %s: want >= 0", c.Progress)
	}
	return c.Runner.Validate()
}

// Worker pulls its segment's jobs and runs them one at a time. It keeps no state between
// jobs beyond counters: any worker of a segment can take any of its jobs.
type Worker struct {
	cfg    WorkerConfig
	js     jetstream.JetStream
	runner *scanner.Runner
	start  time.Time
	// jobRunner runs the jobs whose profiles are jobProfiles (the last ones that differed
	// from the worker's own): a coordinator sends the same profiles cycle after cycle.
	jobRunner   *scanner.Runner
	jobProfiles string

	done, refused, failed, inFlight atomic.Int64
}

// NewWorker checks cfg and binds to nc. nc should be connected with ConnConfig.Segment set,
// so that its reply inboxes are the ones its permissions allow.
func NewWorker(cfg WorkerConfig, nc *nats.Conn) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Runner.Progress == nil {
		cfg.Runner.Progress = func(scanner.Progress) {}
	}
	if cfg.ID == "" {
		cfg.ID = defaultID()
	}
	r, err := scanner.NewRunner(cfg.Runner, cfg.Profiles)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("worker %s: jetstream: %w", cfg.ID, err)
	}
	return &Worker{cfg: cfg, js: js, runner: r, start: cfg.Now()}, nil
}

// ID is the worker's name.
func (w *Worker) ID() string { return w.cfg.ID }

// Run pulls and runs jobs until ctx is done. A job running when ctx ends is not acked: nmap
// is stopped and the job is redelivered to another worker.
func (w *Worker) Run(ctx context.Context) error {
	cons, err := w.js.Consumer(ctx, JobsStream(w.cfg.Segment), ConsumerName)
	if err != nil {
		return fmt.Errorf("worker %s: consumer %s/%s: %w", w.cfg.ID, JobsStream(w.cfg.Segment), ConsumerName, err)
	}
	kv, err := w.js.KeyValue(ctx, WorkersBucket)
	if err != nil {
		return fmt.Errorf("worker %s: kv %s: %w", w.cfg.ID, WorkersBucket, err)
	}
	xml, err := w.js.ObjectStore(ctx, XMLBucket(w.cfg.Segment))
	if err != nil {
		return fmt.Errorf("worker %s: object store %s: %w", w.cfg.ID, XMLBucket(w.cfg.Segment), err)
	}
	info := cons.CachedInfo()
	progress := w.cfg.Progress
	if progress == 0 {
		progress = info.Config.AckWait / 3
	}
	hbCtx, stopHB := context.WithCancel(ctx)
	defer stopHB()
	go w.heartbeats(hbCtx, kv)
	for ctx.Err() == nil {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			w.cfg.Logf("fetch: %v", err)
			time.Sleep(200 * time.Millisecond)
			continue
		}
		for msg := range batch.Messages() {
			w.handle(ctx, msg, xml, progress)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			w.cfg.Logf("fetch: %v", err)
		}
	}
	stopHB()
	// Leave the list at once rather than when the TTL runs out.
	delCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = kv.Delete(delCtx, WorkerKey(w.cfg.Segment, w.cfg.ID))
	return nil
}

func (w *Worker) heartbeats(ctx context.Context, kv jetstream.KeyValue) {
	t := time.NewTicker(w.cfg.Heartbeat)
	defer t.Stop()
	for {
		hb := Heartbeat{Version: Version, Worker: w.cfg.ID, Segment: w.cfg.Segment, Build: w.cfg.Build,
			Started: w.start, Seen: w.cfg.Now(), Done: w.done.Load(), Refused: w.refused.Load(),
			Failed: w.failed.Load(), InFlight: w.inFlight.Load()}
		if data, err := Encode(hb); err == nil {
			if _, err := kv.Put(ctx, WorkerKey(w.cfg.Segment, w.cfg.ID), data); err != nil && ctx.Err() == nil {
				w.cfg.Logf("heartbeat: %v", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
