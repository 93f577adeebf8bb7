package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/workers"
)

// cycleMetrics are the Prometheus metrics of `riskmap cycle --metrics-addr`.
type cycleMetrics struct {
	cycles, failed, probes, findings, diffs, scanErrors, rateChanges prometheus.Counter
	duration                                                         prometheus.Histogram
	rows                                                             *prometheus.CounterVec
	workers                                                          *workers.Metrics
}

func newCycleMetrics(reg prometheus.Registerer, d *workers.Dispatcher) (*cycleMetrics, error) {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	c := &cycleMetrics{
		cycles:      counter("riskmap_cycles_total", "Cycles completed."),
		failed:      counter("riskmap_cycles_failed_total", "Cycles that ended with an error."),
		probes:      counter("riskmap_probes_total", "Probes planned (hosts x ports x tier factor)."),
		findings:    counter("riskmap_ingest_findings_total", "New serious findings ingested."),
		diffs:       counter("riskmap_ingest_diffs_total", "Changes (diff rows) ingested."),
		scanErrors:  counter("riskmap_scan_errors_total", "Scan errors (failed batches, queued jobs, refusals)."),
		rateChanges: counter("riskmap_rate_changes_total", "Adaptive rate changes (throttles and releases)."),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "riskmap_cycle_seconds",
			Help: "Cycle duration.", Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riskmap_ingest_rows_total",
			Help: "Rows the cycles' scans and confirmations wrote, by table."}, []string{"table"}),
	}
	for _, m := range []prometheus.Collector{c.cycles, c.failed, c.probes, c.findings, c.diffs, c.scanErrors, c.rateChanges, c.duration, c.rows} {
		if err := reg.Register(m); err != nil {
			return nil, err
		}
	}
	if d != nil {
		var err error
		if c.workers, err = workers.NewMetrics(reg, d); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// observe adds one cycle's report (nil when the cycle failed before it had one).
func (c *cycleMetrics) observe(rep *engine.CycleReport, err error) {
	if err != nil {
		c.failed.Inc()
	}
	if rep == nil {
		return
	}
	if err == nil {
		c.cycles.Inc()
	}
	mt := rep.Metrics
	c.probes.Add(float64(mt.Probes))
	c.findings.Add(float64(len(rep.NewFindings)))
	c.diffs.Add(float64(len(rep.Diffs)))
	c.scanErrors.Add(float64(len(rep.ScanErrors)))
	c.rateChanges.Add(float64(mt.RateChanges))
	in := rep.Ingested
	for table, n := range map[string]int{"scans": in.Scans, "hosts": in.Hosts, "observations": in.Observations, "findings": in.Findings, "diffs": in.Diffs} {
		c.rows.WithLabelValues(table).Add(float64(n))
	}
	if !mt.Finished.IsZero() {
		c.duration.Observe(mt.Finished.Sub(mt.Started).Seconds())
	}
	if c.workers != nil {
		c.workers.Observe(rep.Workers)
	}
}

// serveMetrics listens on addr and serves /metrics until ctx ends.
func serveMetrics(ctx context.Context, addr string, reg *prometheus.Registry) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return
		}
	}()
	context.AfterFunc(ctx, func() { srv.Close() })
	return ln.Addr().String(), nil
}

// metrics starts the metrics endpoint when addr is set, and returns what to call after each
// cycle (a no-op when addr is empty).
func (m *Main) metrics(ctx context.Context, addr string, loop *engine.Loop) (func(*engine.CycleReport, error), error) {
	if addr == "" {
		return func(*engine.CycleReport, error) {}, nil
	}
	reg := prometheus.NewRegistry()
	c, err := newCycleMetrics(reg, loop.Dispatcher)
	if err != nil {
		return nil, err
	}
	at, err := serveMetrics(ctx, addr, reg)
	if err != nil {
		return nil, err
	}
	m.logger().Info("metrics", "url", "http://"+at+"/metrics")
	return c.observe, nil
}
