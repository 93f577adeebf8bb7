package workers

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the coordinator's Prometheus metrics of its segments: what each Dispatch did
// (counters) and, at every scrape, the jobs queued and in flight and the live workers, read
// from JetStream itself.
type Metrics struct {
	jobs     *prometheus.CounterVec
	failures *prometheus.CounterVec
	scan     *prometheus.HistogramVec
	backlog  *backlog
}

// NewMetrics registers the metrics with reg; d is read at every scrape.
func NewMetrics(reg prometheus.Registerer, d *Dispatcher) (*Metrics, error) {
	m := &Metrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riskmap_worker_jobs_total",
			Help: "Jobs settled, by segment and outcome (done, refused, dead)."}, []string{"segment", "outcome"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riskmap_worker_job_failures_total",
			Help: "Failed job deliveries (retried until max_deliver), by segment."}, []string{"segment"}),
		scan: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "riskmap_worker_scan_seconds",
			Help: "Workers' scan time per cycle and segment.", Buckets: prometheus.ExponentialBuckets(1, 4, 8)}, []string{"segment"}),
		backlog: &backlog{d: d,
			queued: prometheus.NewDesc("riskmap_worker_jobs_queued", "Jobs waiting for a worker, by segment.", []string{"segment"}, nil),
			flight: prometheus.NewDesc("riskmap_worker_jobs_in_flight", "Jobs delivered and not yet acked, by segment.", []string{"segment"}, nil),
			live:   prometheus.NewDesc("riskmap_workers_live", "Workers with a live heartbeat, by segment.", []string{"segment"}, nil),
		},
	}
	for _, c := range []prometheus.Collector{m.jobs, m.failures, m.scan, m.backlog} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Observe adds one Dispatch's report.
func (m *Metrics) Observe(r *Report) {
	if r == nil {
		return
	}
	for seg, s := range r.Segments {
		m.jobs.WithLabelValues(seg, "done").Add(float64(s.Done))
		m.jobs.WithLabelValues(seg, "refused").Add(float64(s.Refused))
		m.jobs.WithLabelValues(seg, "dead").Add(float64(s.Dead))
		m.failures.WithLabelValues(seg).Add(float64(s.Failures))
		if s.Done > 0 {
			m.scan.WithLabelValues(seg).Observe(s.Scan.Seconds())
		}
	}
}

// backlog reads the segments' consumers and heartbeats at scrape time.
type backlog struct {
	d                    *Dispatcher
	queued, flight, live *prometheus.Desc
}

func (b *backlog) Describe(ch chan<- *prometheus.Desc) {
	ch <- b.queued
	ch <- b.flight
	ch <- b.live
}

func (b *backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	live, err := liveBySegment(ctx, b.d.workers)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(b.live, err)
		return
	}
	for _, s := range b.d.cfg.Segments {
		c, err := b.d.js.Consumer(ctx, JobsStream(s.Name), ConsumerName)
		var info *jetstream.ConsumerInfo
		if err == nil {
			info, err = c.Info(ctx)
		}
		if err != nil {
			ch <- prometheus.NewInvalidMetric(b.queued, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(b.queued, prometheus.GaugeValue, float64(info.NumPending), s.Name)
		ch <- prometheus.MustNewConstMetric(b.flight, prometheus.GaugeValue, float64(info.NumAckPending), s.Name)
		ch <- prometheus.MustNewConstMetric(b.live, prometheus.GaugeValue, float64(live[s.Name]), s.Name)
	}
}
