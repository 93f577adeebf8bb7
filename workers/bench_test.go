package workers_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/workers"
)

// BenchmarkWorkers scans the benchmark lab (one segment of 96 hosts, the top 100 ports
// plus every port the estate listens on) through 1, 2 and 4 workers, each a child process
// running the real nmap in the segment's namespace, 4 hosts per job. One op is one cycle:
// publish, scan, store, ingest (parse) every document.
func BenchmarkWorkers(b *testing.B) {
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			v := newEnvNamed(b, "bench", 1)
			ctx := context.Background()
			cfg := v.dispatchConfig()
			cfg.Segments[0].Pool = n
			cfg.Wait = 10 * time.Minute
			d, err := workers.NewDispatcher(ctx, v.nc, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			for i := 0; i < n; i++ {
				v.startWorker(fmt.Sprintf("w%d", i), 0, nil)
			}
			v.waitLive(n)
			plan := v.plan()
			hosts, jobs := 0, 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rep, err := d.Dispatch(ctx, fmt.Sprintf("bench-%d-%d", n, i), plan, v.scope(), newCollector().sink)
				if err != nil {
					b.Fatal(err)
				}
				s := rep.Segments[segName(0)]
				if s.Done != s.Jobs {
					b.Fatalf("%d of %d jobs done", s.Done, s.Jobs)
				}
				hosts += s.Hosts
				jobs += s.Jobs
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(hosts)/sec, "hosts/s")
			b.ReportMetric(float64(jobs)/sec, "jobs/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkDispatchOverhead measures what the coordinator and JetStream add per job, without
// nmap: an in-process worker answers each job at once with a stored 1.3 KB nmap XML
// document, and the coordinator ingests it (parse). Peer: the same XML parsed directly.
func BenchmarkDispatchOverhead(b *testing.B) {
	xml, err := os.ReadFile("testdata/light.xml")
	if err != nil {
		b.Fatal(err)
	}
	const jobs = 96 // one per host of the benchmark estate
	b.Run("dispatch", func(b *testing.B) {
		v := newEnvNamed(b, "bench", 1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := v.dispatchConfig()
		cfg.JobHosts = 1
		cfg.Segments[0].Pool = 64
		d, err := workers.NewDispatcher(ctx, v.nc, cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		js, _ := v.fakeWorker(b)
		go echoWorker(ctx, js, xml)
		plan := v.plan()
		plan.Items = plan.Items[:jobs]
		plan.Probes = 0
		for _, it := range plan.Items {
			plan.Probes += it.Probes
		}
		plan.Budget = plan.Probes
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			rep, err := d.Dispatch(ctx, fmt.Sprintf("overhead-%d", i), plan, v.scope(), newCollector().sink)
			if err != nil {
				b.Fatal(err)
			}
			if s := rep.Segments[segName(0)]; s.Done != jobs {
				b.Fatalf("%d of %d jobs done: %+v", s.Done, jobs, *s)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N*jobs), "µs/job")
		b.ReportMetric(float64(b.N*jobs)/b.Elapsed().Seconds(), "jobs/s")
		b.ReportMetric(0, "ns/op")
	})
	b.Run("parse-only", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c := newCollector()
			for j := 0; j < jobs; j++ {
				if err := c.sink(scanner.Result{XML: xml}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N*jobs), "µs/job")
		b.ReportMetric(0, "ns/op")
	})
}

// echoWorker answers every job of segment 0 with xml, as a worker does (store, result, ack).
func echoWorker(ctx context.Context, js jetstream.JetStream, xml []byte) {
	cons, err := js.Consumer(ctx, workers.JobsStream(segName(0)), workers.ConsumerName)
	if err != nil {
		return
	}
	store, err := js.ObjectStore(ctx, workers.XMLBucket(segName(0)))
	if err != nil {
		return
	}
	for ctx.Err() == nil {
		msgs, err := cons.Fetch(1, jetstream.FetchMaxWait(200*time.Millisecond))
		if err != nil {
			continue
		}
		for m := range msgs.Messages() {
			job, err := workers.DecodeJob(m.Data())
			if err != nil {
				m.Term()
				continue
			}
			name := job.ID + "/x.xml"
			if _, err := store.PutBytes(ctx, name, xml); err != nil {
				continue
			}
			data, _ := workers.Encode(workers.Result{Version: workers.Version, JobID: job.ID, Cycle: job.Cycle, Segment: job.Segment,
				Worker: "echo", Outcome: workers.OutcomeDone, Delivery: 1, Objects: []workers.Object{{Name: name, Tier: "light", Hosts: 1}}})
			if _, err := js.Publish(ctx, workers.ResultsSubject(job.Segment), data); err != nil {
				continue
			}
			m.DoubleAck(ctx)
		}
	}
}
