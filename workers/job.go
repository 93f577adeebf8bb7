package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/riskmap/riskmap/scanner"
)

// handle runs one delivery of a job. The order is what makes delivery safe: the XML is
// stored, then the Result is published (and acknowledged by the stream), and only then is the
// job acked. A crash anywhere before the ack leads to a redelivery; the coordinator ingests a
// job once, whatever the number of Results.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg, xml jetstream.ObjectStore, progress time.Duration) {
	w.inFlight.Add(1)
	defer w.inFlight.Add(-1)
	meta, err := msg.Metadata()
	if err != nil {
		w.cfg.Logf("job without metadata: %v", err)
		_ = msg.Term()
		return
	}
	started := w.cfg.Now()
	job, err := DecodeJob(msg.Data())
	if err != nil {
		w.refuse(ctx, msg, &Job{ID: "seq-" + fmt.Sprint(meta.Sequence.Stream), Segment: w.cfg.Segment}, meta, started, err.Error())
		return
	}
	if why := w.check(job); why != "" {
		w.refuse(ctx, msg, job, meta, started, why)
		return
	}
	runner, err := w.runnerFor(job)
	if err != nil {
		w.refuse(ctx, msg, job, meta, started, "job profiles: "+err.Error())
		return
	}
	w.cfg.Logf("job %s: delivery %d, %d hosts", job.ID, meta.NumDelivered, hosts(job))
	stop := keepAlive(msg, progress)
	objects, runErr := w.scan(ctx, job, runner, xml)
	stop()
	res := Result{Version: Version, JobID: job.ID, Cycle: job.Cycle, Segment: job.Segment, Worker: w.cfg.ID,
		Outcome: OutcomeDone, Objects: objects, Delivery: meta.NumDelivered, JobSeq: meta.Sequence.Stream, Started: started, Finished: w.cfg.Now()}
	if ctx.Err() != nil {
		// Shutting down: leave the job to be redelivered at once.
		_ = msg.Nak()
		return
	}
	if runErr != nil {
		res.Outcome, res.Reason = OutcomeFailed, runErr.Error()
		w.failed.Add(1)
		w.publish(ctx, ResultsSubject(job.Segment), job.ID+"/"+fmt.Sprint(meta.NumDelivered), res)
		if int(meta.NumDelivered) >= job.MaxDeliver {
			w.dead(ctx, job, meta.NumDelivered, "failed on the last delivery: "+runErr.Error())
			_ = msg.TermWithReason("failed")
			return
		}
		_ = msg.NakWithDelay(time.Second)
		w.cfg.Logf("job %s failed (delivery %d): %v", job.ID, meta.NumDelivered, runErr)
		return
	}
	if err := w.publish(ctx, ResultsSubject(job.Segment), job.ID+"/"+fmt.Sprint(meta.NumDelivered), res); err != nil {
		_ = msg.Nak()
		return
	}
	// The result is stored and published: the job is done whatever happens to the ack (the
	// coordinator may already have removed the ingested job from the queue; a lost ack only
	// leads to a repeat the coordinator drops).
	w.done.Add(1)
	if err := msg.DoubleAck(ctx); err != nil {
		w.cfg.Logf("job %s ack: %v", job.ID, err)
	}
	w.cfg.Logf("job %s done: %d hosts in %s", job.ID, hosts(job), res.Finished.Sub(started).Round(time.Millisecond))
}

// check returns why job must be refused, or "".
func (w *Worker) check(job *Job) string {
	if job.Segment != w.cfg.Segment {
		return fmt.Sprintf("job for segment %q delivered to a worker of segment %q", job.Segment, w.cfg.Segment)
	}
	jobScope, err := job.Scope.Scope()
	if err != nil {
		return "job scope: " + err.Error()
	}
	var why []string
	for _, it := range job.Items {
		for _, a := range it.IPs {
			if err := jobScope.Check(a); err != nil {
				why = append(why, fmt.Sprintf("asset %s %s: job scope: %v", it.AssetID, a, err))
			}
			if err := w.cfg.Scope.Check(a); err != nil {
				why = append(why, fmt.Sprintf("asset %s %s: local scope (%s): %v", it.AssetID, a, w.cfg.Scope, err))
			}
		}
	}
	return strings.Join(why, "; ")
}

// scan runs the job's items with nmap inside the local scope and stores each batch's XML.
func (w *Worker) scan(ctx context.Context, job *Job, runner *scanner.Runner, xml jetstream.ObjectStore) ([]Object, error) {
	plan := &scanner.Plan{CreatedAt: job.Created, Items: make([]scanner.PlanItem, len(job.Items))}
	copy(plan.Items, job.Items)
	for i := range plan.Items {
		if job.MaxRate > 0 && (plan.Items[i].MaxRate == 0 || plan.Items[i].MaxRate > job.MaxRate) {
			plan.Items[i].MaxRate = job.MaxRate
		}
		plan.Probes += plan.Items[i].Probes
	}
	plan.Budget = plan.Probes
	var objects []Object
	err := runner.Run(ctx, plan, w.cfg.Scope, func(r scanner.Result) error {
		if len(r.XML) == 0 {
			return nil
		}
		sum := sha256.Sum256(r.XML)
		o := Object{Name: job.ID + "/" + hex.EncodeToString(sum[:8]) + ".xml", SHA256: hex.EncodeToString(sum[:]),
			Size: len(r.XML), Tier: r.Batch.Tier.String(), Hosts: len(r.Batch.Addrs)}
		for _, a := range r.Batch.Addrs {
			o.Addrs = append(o.Addrs, a.String())
		}
		if r.Err != nil {
			o.Error = r.Err.Error()
		}
		putCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, err := xml.PutBytes(putCtx, o.Name, r.XML); err != nil {
			return fmt.Errorf("store %s: %w", o.Name, err)
		}
		objects = append(objects, o)
		return nil
	})
	if err != nil && len(objects) > 0 && !errors.Is(err, scanner.ErrInterrupted) {
		// Some batches failed and some stored XML: the Result carries both; a failed batch
		// with XML is partial but kept.
		for _, o := range objects {
			if o.Error == "" {
				return objects, nil
			}
		}
	}
	return objects, err
}

// refuse records why a job will not run, as a Result and a DeadLetter, and terminates it so
// that no other worker gets it either.
func (w *Worker) refuse(ctx context.Context, msg jetstream.Msg, job *Job, meta *jetstream.MsgMetadata, started time.Time, why string) {
	w.refused.Add(1)
	delivery := meta.NumDelivered
	res := Result{Version: Version, JobID: job.ID, Cycle: job.Cycle, Segment: w.cfg.Segment, Worker: w.cfg.ID,
		Outcome: OutcomeRefused, Reason: why, Delivery: delivery, JobSeq: meta.Sequence.Stream, Started: started, Finished: w.cfg.Now()}
	w.publish(ctx, ResultsSubject(w.cfg.Segment), job.ID+"/"+fmt.Sprint(delivery), res)
	w.dead(ctx, job, delivery, "refused by worker "+w.cfg.ID+": "+why)
	_ = msg.TermWithReason("refused")
	w.cfg.Logf("job %s refused: %s", job.ID, why)
}

func (w *Worker) dead(ctx context.Context, job *Job, delivery uint64, why string) {
	d := DeadLetter{Version: Version, JobID: job.ID, Cycle: job.Cycle, Segment: w.cfg.Segment, Worker: w.cfg.ID,
		Reason: why, Deliveries: delivery, At: w.cfg.Now(), Job: job}
	w.publish(ctx, DeadSubject(w.cfg.Segment), "", d)
}

// publish sends v to a stream and waits for the stream's ack; id, when set, lets the stream
// drop a repeat.
func (w *Worker) publish(ctx context.Context, subject, id string, v any) error {
	data, err := Encode(v)
	if err != nil {
		return err
	}
	m := nats.NewMsg(subject)
	m.Data = data
	if id != "" {
		m.Header.Set(jetstream.MsgIDHeader, id)
	}
	pubCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := w.js.PublishMsg(pubCtx, m); err != nil {
		w.cfg.Logf("publish %s: %v", subject, err)
		return fmt.Errorf("publish %s: %w", subject, err)
	}
	return nil
}

// keepAlive marks msg in progress every d until stopped, so that a long scan is not
// redelivered while its worker is alive.
func keepAlive(msg jetstream.Msg, d time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	return func() { close(done) }
}

func hosts(j *Job) int {
	n := 0
	for _, it := range j.Items {
		n += len(it.IPs)
	}
	return n
}

func defaultID() string {
	h, err := os.Hostname()
	if err != nil {
		h = "worker"
	}
	return fmt.Sprintf("%s-%d", strings.NewReplacer(".", "-", "*", "-", ">", "-", " ", "-").Replace(h), os.Getpid())
}
