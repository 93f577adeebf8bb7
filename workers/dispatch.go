package workers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/riskmap/riskmap/scanner"
)

// DispatchConfig configures the coordinator side.
type DispatchConfig struct {
	Segments []SegmentConfig `yaml:"segments" json:"segments"`
	Delivery Delivery        `yaml:"delivery" json:"delivery"`
	// JobHosts is the most hosts one job scans.
	JobHosts int `yaml:"job_hosts" json:"job_hosts"`
	// Wait is the longest Dispatch waits for a cycle's results; jobs not finished by then
	// stay queued (and are ingested by a later Dispatch) and are reported as such.
	Wait time.Duration `yaml:"wait" json:"wait"`
	// Poll is how long one fetch of results waits.
	Poll time.Duration    `yaml:"-" json:"-"`
	Now  func() time.Time `yaml:"-" json:"-"`
}

// DefaultDispatchConfig returns 16 hosts per job, a 2-hour wait and DefaultDelivery, with
// no segments.
func DefaultDispatchConfig() DispatchConfig {
	return DispatchConfig{Delivery: DefaultDelivery(), JobHosts: 16, Wait: 2 * time.Hour, Poll: 500 * time.Millisecond}
}

// Validate checks c.
func (c DispatchConfig) Validate() error {
	if len(c.Segments) == 0 {
		return errors.New("workers segments: none configured")
	}
	seen, nets := map[string]bool{}, map[string]string{}
	for i, s := range c.Segments {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("workers segments[%d]: %w", i, err)
		}
		if seen[s.Name] {
			return fmt.Errorf("workers segments[%d]: segment %q listed twice", i, s.Name)
		}
		seen[s.Name] = true
		if len(s.Networks) == 0 {
			return fmt.Errorf("workers segments[%d] (%s) networks: none: the segment would get no items", i, s.Name)
		}
		for _, n := range s.Networks {
			if other, ok := nets[n]; ok {
				return fmt.Errorf("workers segments[%d] (%s) networks: %q already belongs to segment %s", i, s.Name, n, other)
			}
			nets[n] = s.Name
		}
	}
	switch {
	case c.JobHosts < 1:
		return fmt.Errorf("workers job_hosts %d: want >= 1", c.JobHosts)
	case c.Wait <= 0:
		return fmt.Errorf("workers wait %s: want > 0", c.Wait)
	case c.Poll <= 0:
		return fmt.Errorf("workers poll %s: want > 0", c.Poll)
	}
	return c.Delivery.Validate()
}

// Dispatcher publishes plan items as jobs to the segments' workers and hands the XML they
// store to a sink. One Dispatch at a time.
type Dispatcher struct {
	// Profiles are the tier profiles every job carries to the workers: the coordinator's
	// (the loop sets its riskmap.yaml profiles before it dispatches). NewDispatcher sets
	// scanner.DefaultProfileConfig().
	Profiles scanner.ProfileConfig

	cfg      DispatchConfig
	js       jetstream.JetStream
	nc       *nats.Conn
	segments map[string]SegmentConfig
	route    map[string]string // network -> segment
	jobs     jetstream.KeyValue
	workers  jetstream.KeyValue
	results  jetstream.Consumer
	dead     jetstream.Consumer
	maxed    chan *nats.Msg
	sub      *nats.Subscription
	stores   map[string]jetstream.ObjectStore
	streams  map[string]jetstream.Stream
}

// NewDispatcher sets the streams up (Setup) and subscribes to the delivery-limit advisories.
func NewDispatcher(ctx context.Context, nc *nats.Conn, cfg DispatchConfig) (*Dispatcher, error) {
	if cfg.Poll == 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("dispatcher: jetstream: %w", err)
	}
	if err := Setup(ctx, js, cfg.Delivery, cfg.Segments); err != nil {
		return nil, fmt.Errorf("dispatcher: %w", err)
	}
	d := &Dispatcher{Profiles: scanner.DefaultProfileConfig(), cfg: cfg, js: js, nc: nc, segments: map[string]SegmentConfig{}, route: map[string]string{},
		maxed: make(chan *nats.Msg, 1024), stores: map[string]jetstream.ObjectStore{}, streams: map[string]jetstream.Stream{}}
	for _, s := range cfg.Segments {
		d.segments[s.Name] = s
		for _, n := range s.Networks {
			d.route[n] = s.Name
		}
	}
	if d.jobs, err = js.KeyValue(ctx, JobsBucket); err != nil {
		return nil, fmt.Errorf("dispatcher: kv %s: %w", JobsBucket, err)
	}
	if d.workers, err = js.KeyValue(ctx, WorkersBucket); err != nil {
		return nil, fmt.Errorf("dispatcher: kv %s: %w", WorkersBucket, err)
	}
	// A coordinator that dies holding results gets them back after AckWait; a long ingest
	// keeps them with InProgress.
	cc := func(stream string) jetstream.ConsumerConfig {
		return jetstream.ConsumerConfig{Durable: "coordinator", AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: 30 * time.Second, MaxAckPending: 256}
	}
	if d.results, err = js.CreateOrUpdateConsumer(ctx, ResultsStream, cc(ResultsStream)); err != nil {
		return nil, fmt.Errorf("dispatcher: consumer %s: %w", ResultsStream, err)
	}
	if d.dead, err = js.CreateOrUpdateConsumer(ctx, DeadStream, cc(DeadStream)); err != nil {
		return nil, fmt.Errorf("dispatcher: consumer %s: %w", DeadStream, err)
	}
	d.sub, err = nc.ChanSubscribe("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.*."+ConsumerName, d.maxed)
	if err != nil {
		return nil, fmt.Errorf("dispatcher: advisories: %w", err)
	}
	return d, nil
}

// Close stops listening for advisories; nc stays open.
func (d *Dispatcher) Close() error { return d.sub.Unsubscribe() }

// Segment returns the segment that reaches network, or false.
func (d *Dispatcher) Segment(network string) (string, bool) {
	s, ok := d.route[network]
	return s, ok
}

var idUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// Jobs splits the plan's in-scope items into jobs per segment, highest priority first, and
// returns the items no segment reaches and the addresses the scope refused.
func (d *Dispatcher) Jobs(cycle string, plan *scanner.Plan, scope scanner.Scope) (jobs []*Job, unrouted []scanner.PlanItem, refused []scanner.Refusal) {
	cycleID := idUnsafe.ReplaceAllString(cycle, "_")
	sc := scopeConfig(scope)
	profiles := d.Profiles
	profiles.ServicesPath = "" // a path on the coordinator; the worker reads its own table
	items := append([]scanner.PlanItem(nil), plan.Items...)
	sort.SliceStable(items, func(i, j int) bool { return items[i].Priority > items[j].Priority })
	open := map[string]*Job{}
	count := map[string]int{}
	for _, it := range items {
		var ips []netip.Addr
		for _, a := range it.IPs {
			if err := scope.Check(a); err != nil {
				refused = append(refused, scanner.Refusal{Spec: it.AssetID, Addr: a, Reason: err.Error(), Err: err})
				continue
			}
			ips = append(ips, a)
		}
		if len(ips) == 0 {
			continue
		}
		it.IPs = ips
		seg, ok := d.route[it.Network]
		if !ok {
			unrouted = append(unrouted, it)
			continue
		}
		j := open[seg]
		if j == nil || hosts(j)+len(ips) > d.cfg.JobHosts {
			s := d.segments[seg]
			j = &Job{Version: Version, ID: fmt.Sprintf("%s.%s.%d", cycleID, seg, count[seg]), Cycle: cycle, Segment: seg,
				Scope: sc, Profiles: profiles, MaxRate: s.MaxRate / s.Pool, MaxDeliver: d.cfg.Delivery.MaxDeliver, Created: d.cfg.Now()}
			count[seg]++
			open[seg] = j
			jobs = append(jobs, j)
		}
		j.Items = append(j.Items, it)
	}
	return jobs, unrouted, refused
}

func scopeConfig(s scanner.Scope) scanner.ScopeConfig {
	c := scanner.ScopeConfig{MaxExpand: s.MaxExpand}
	for _, p := range s.Allow {
		c.Allow = append(c.Allow, p.String())
	}
	for _, p := range s.Exclude {
		c.Exclude = append(c.Exclude, p.String())
	}
	return c
}

// Publish sends jobs to their segments' streams, skipping those the coordinator has already
// ingested (JobsBucket) and letting the stream drop those already queued (Nats-Msg-Id). It
// returns how many jobs were already done.
func (d *Dispatcher) Publish(ctx context.Context, jobs []*Job) (already int, err error) {
	for _, j := range jobs {
		if _, err := d.jobs.Get(ctx, j.ID); err == nil {
			already++
			continue
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return already, fmt.Errorf("kv %s key %s: %w", JobsBucket, j.ID, err)
		}
		data, err := Encode(j)
		if err != nil {
			return already, err
		}
		m := nats.NewMsg(JobsSubject(j.Segment))
		m.Data = data
		m.Header.Set(jetstream.MsgIDHeader, j.ID)
		if _, err := d.js.PublishMsg(ctx, m); err != nil {
			return already, fmt.Errorf("publish job %s: %w", j.ID, err)
		}
	}
	return already, nil
}
