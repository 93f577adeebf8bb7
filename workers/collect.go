package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
)

// SegmentReport is what one Dispatch did in one segment.
type SegmentReport struct {
	Segment string `json:"segment"`
	// Jobs is how many jobs the cycle has there, Already how many of them were ingested before
	// this Dispatch (a restarted coordinator), Done, Refused and Dead how they ended, and
	// Queued how many were still unfinished when Dispatch returned.
	Jobs, Already, Done, Refused, Dead, Queued int
	// Failures counts failed deliveries (retried until MaxDeliver); Duplicates results of a
	// job already ingested (dropped).
	Failures, Duplicates int
	Hosts                int
	LiveWorkers          int
	// Reasons are the refusal, failure and dead-letter reasons, one per event.
	Reasons []string
	// Scan is the sum of the workers' scan durations.
	Scan time.Duration
}

// Report is what one Dispatch did.
type Report struct {
	Segments map[string]*SegmentReport
	// Unrouted are the plan items no configured segment reaches; Refused the addresses
	// outside the coordinator's scope. Neither reaches a worker.
	Unrouted []scanner.PlanItem
	Refused  []scanner.Refusal
	// Foreign counts results of other cycles' jobs ingested on the way (left from before a
	// restart).
	Foreign int
}

// Queued is the number of jobs left unfinished, over all segments.
func (r *Report) Queued() int {
	n := 0
	for _, s := range r.Segments {
		n += s.Queued
	}
	return n
}

// Sink receives each stored XML document, as scanner.Runner's sink does: store it, then
// parse it. Result.Batch has the tier, the addresses and the segment as Network.
type Sink func(scanner.Result) error

// Dispatch publishes the plan's jobs and hands the XML of every finished job to sink, until
// every job is done, refused or dead, until only segments without a live worker have jobs
// left, or until the configured Wait passes. Unfinished jobs stay queued in JetStream; a
// later Dispatch with the same cycle ingests them without publishing them again. sink is
// called from Dispatch's goroutine, one call at a time; a sink error stops Dispatch.
func (d *Dispatcher) Dispatch(ctx context.Context, cycle string, plan *scanner.Plan, scope scanner.Scope, sink Sink) (*Report, error) {
	if sink == nil {
		return nil, errors.New("dispatch: no sink given: the raw XML must go somewhere")
	}
	if scope.Empty() {
		return nil, scanner.ErrNoScope
	}
	jobs, unrouted, refused := d.Jobs(cycle, plan, scope)
	rep := &Report{Segments: map[string]*SegmentReport{}, Unrouted: unrouted, Refused: refused}
	for _, s := range d.cfg.Segments {
		rep.Segments[s.Name] = &SegmentReport{Segment: s.Name}
	}
	pending := map[string]*Job{}
	for _, j := range jobs {
		sr := rep.Segments[j.Segment]
		sr.Jobs++
		sr.Hosts += hosts(j)
		pending[j.ID] = j
	}
	if _, err := d.Publish(ctx, jobs); err != nil {
		return rep, err
	}
	for id, j := range pending {
		if _, err := d.jobs.Get(ctx, id); err == nil {
			rep.Segments[j.Segment].Already++
			delete(pending, id)
		}
	}
	// Take what is already there first (results of jobs left from before, repeats): they are
	// settled even when this cycle has nothing left to wait for.
	if more, err := d.results.FetchNoWait(256); err != nil {
		return rep, fmt.Errorf("fetch results: %w", err)
	} else if err := d.handleResults(ctx, rep, pending, sink, more); err != nil {
		d.finish(ctx, rep, pending)
		return rep, err
	}
	started := d.cfg.Now()
	deadline := started.Add(d.cfg.Wait)
	var nextSweep time.Time // sweep at once: advisories may have gone by while no one listened
	for len(pending) > 0 {
		if err := ctx.Err(); err != nil {
			d.finish(ctx, rep, pending)
			return rep, err
		}
		if err := d.drainAdvisories(ctx); err != nil {
			return rep, err
		}
		if now := d.cfg.Now(); now.After(nextSweep) {
			if err := d.sweep(ctx); err != nil {
				return rep, err
			}
			nextSweep = now.Add(d.cfg.Delivery.AckWait)
		}
		// Results before dead letters: a refusal publishes its Result first.
		if err := d.collectResults(ctx, rep, pending, sink); err != nil {
			d.finish(ctx, rep, pending)
			return rep, err
		}
		if err := d.collectDead(ctx, rep, pending); err != nil {
			return rep, err
		}
		if len(pending) == 0 || d.cfg.Now().After(deadline) {
			break
		}
		live, err := liveBySegment(ctx, d.workers)
		if err != nil {
			return rep, err
		}
		// A segment with no live worker is not waited for, once a heartbeat's lifetime has
		// passed (a worker that just started or reconnected may not have beaten yet).
		waiting := d.cfg.Now().Before(started.Add(d.cfg.Delivery.WorkerTTL))
		for _, j := range pending {
			if live[j.Segment] > 0 {
				waiting = true
				break
			}
		}
		if !waiting {
			break
		}
	}
	d.finish(ctx, rep, pending)
	return rep, nil
}

// finish counts the unfinished jobs and the live workers.
func (d *Dispatcher) finish(ctx context.Context, rep *Report, pending map[string]*Job) {
	for _, j := range pending {
		rep.Segments[j.Segment].Queued++
	}
	if live, err := liveBySegment(context.WithoutCancel(ctx), d.workers); err == nil {
		for seg, n := range live {
			if sr, ok := rep.Segments[seg]; ok {
				sr.LiveWorkers = n
			}
		}
	}
}

// collectResults waits up to Poll for one result, then takes whatever else is there, so that
// a trickle of results is handled as it comes rather than once per Poll.
func (d *Dispatcher) collectResults(ctx context.Context, rep *Report, pending map[string]*Job, sink Sink) error {
	batch, err := d.results.Fetch(1, jetstream.FetchMaxWait(d.cfg.Poll))
	if err != nil {
		return fmt.Errorf("fetch results: %w", err)
	}
	if err := d.handleResults(ctx, rep, pending, sink, batch); err != nil {
		return err
	}
	more, err := d.results.FetchNoWait(256)
	if err != nil {
		return fmt.Errorf("fetch results: %w", err)
	}
	return d.handleResults(ctx, rep, pending, sink, more)
}

func (d *Dispatcher) handleResults(ctx context.Context, rep *Report, pending map[string]*Job, sink Sink, batch jetstream.MessageBatch) error {
	for msg := range batch.Messages() {
		res, err := DecodeResult(msg.Data())
		if err != nil {
			// Nothing to retry in a message that does not decode: record and drop it.
			_ = msg.Term()
			continue
		}
		if err := d.result(ctx, rep, pending, res, func(r scanner.Result) error {
			_ = msg.InProgress()
			return sink(r)
		}); err != nil {
			_ = msg.Nak()
			return err
		}
		if err := msg.Ack(); err != nil {
			return fmt.Errorf("ack result of job %s: %w", res.JobID, err)
		}
	}
	if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
		return fmt.Errorf("fetch results: %w", err)
	}
	return nil
}

func (d *Dispatcher) result(ctx context.Context, rep *Report, pending map[string]*Job, res *Result, sink Sink) error {
	sr := rep.Segments[res.Segment]
	if sr == nil {
		sr = &SegmentReport{Segment: res.Segment}
		rep.Segments[res.Segment] = sr
	}
	if res.Outcome == OutcomeFailed {
		sr.Failures++
		sr.Reasons = append(sr.Reasons, fmt.Sprintf("job %s delivery %d on %s failed: %s", res.JobID, res.Delivery, res.Worker, res.Reason))
		return nil
	}
	if _, err := d.jobs.Get(ctx, res.JobID); err == nil {
		sr.Duplicates++
		return nil
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("kv %s key %s: %w", JobsBucket, res.JobID, err)
	}
	_, mine := pending[res.JobID]
	switch res.Outcome {
	case OutcomeRefused:
		sr.Reasons = append(sr.Reasons, fmt.Sprintf("job %s refused by %s: %s", res.JobID, res.Worker, res.Reason))
	case OutcomeDone:
		store, err := d.store(ctx, res.Segment)
		if err != nil {
			return err
		}
		for _, o := range res.Objects {
			data, err := store.GetBytes(ctx, o.Name)
			if err != nil {
				return fmt.Errorf("job %s: object %s/%s: %w", res.JobID, XMLBucket(res.Segment), o.Name, err)
			}
			if err := sink(toResult(res, o, data)); err != nil {
				return fmt.Errorf("job %s: sink: %w", res.JobID, err)
			}
		}
		sr.Scan += res.Finished.Sub(res.Started)
	}
	// Once the sink has the XML, the record must be written even if ctx ends now: otherwise
	// the job would be ingested again after a restart.
	putCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	state, _ := json.Marshal(map[string]any{"outcome": res.Outcome, "worker": res.Worker, "delivery": res.Delivery, "at": d.cfg.Now()})
	if _, err := d.jobs.Put(putCtx, res.JobID, state); err != nil {
		return fmt.Errorf("kv %s key %s: %w", JobsBucket, res.JobID, err)
	}
	d.dropJob(putCtx, res)
	if !mine {
		rep.Foreign++
		return nil
	}
	delete(pending, res.JobID)
	if res.Outcome == OutcomeRefused {
		sr.Refused++
	} else {
		sr.Done++
	}
	return nil
}

func toResult(res *Result, o Object, data []byte) scanner.Result {
	tier, _ := riskmap.ParseTier(o.Tier)
	b := scanner.Batch{Tier: tier, Network: res.Segment}
	for _, a := range o.Addrs {
		if ip, err := netip.ParseAddr(a); err == nil {
			b.Addrs = append(b.Addrs, ip)
		}
	}
	r := scanner.Result{Batch: b, XML: data, Started: res.Started, Finished: res.Finished}
	if o.Error != "" {
		r.Err = errors.New(o.Error)
	}
	return r
}

func (d *Dispatcher) collectDead(ctx context.Context, rep *Report, pending map[string]*Job) error {
	batch, err := d.dead.FetchNoWait(64)
	if err != nil {
		return fmt.Errorf("fetch dead letters: %w", err)
	}
	for msg := range batch.Messages() {
		dl, err := DecodeDeadLetter(msg.Data())
		if err != nil {
			_ = msg.Term()
			continue
		}
		sr := rep.Segments[dl.Segment]
		if sr == nil {
			sr = &SegmentReport{Segment: dl.Segment}
			rep.Segments[dl.Segment] = sr
		}
		if _, ok := pending[dl.JobID]; ok {
			if _, err := d.jobs.Get(ctx, dl.JobID); errors.Is(err, jetstream.ErrKeyNotFound) || err == nil {
				// A refusal also sends a Result; whichever arrives first settles the job.
				delete(pending, dl.JobID)
				sr.Dead++
				sr.Reasons = append(sr.Reasons, fmt.Sprintf("job %s dead after %d deliveries: %s", dl.JobID, dl.Deliveries, dl.Reason))
				state, _ := json.Marshal(map[string]any{"outcome": "dead", "reason": dl.Reason, "at": d.cfg.Now()})
				if _, err := d.jobs.Put(ctx, dl.JobID, state); err != nil {
					return fmt.Errorf("kv %s key %s: %w", JobsBucket, dl.JobID, err)
				}
			}
		}
		if err := msg.Ack(); err != nil {
			return fmt.Errorf("ack dead letter of job %s: %w", dl.JobID, err)
		}
	}
	return nil
}

// store returns the segment's XML bucket, bound once.
func (d *Dispatcher) store(ctx context.Context, segment string) (jetstream.ObjectStore, error) {
	if s, ok := d.stores[segment]; ok {
		return s, nil
	}
	s, err := d.js.ObjectStore(ctx, XMLBucket(segment))
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", XMLBucket(segment), err)
	}
	d.stores[segment] = s
	return s, nil
}

// dropJob removes an ingested job from its work queue, in case the worker's ack was lost (a
// redelivery would only scan again for a result that is then dropped). Best effort: the
// message is usually gone already.
func (d *Dispatcher) dropJob(ctx context.Context, res *Result) {
	if res.JobSeq == 0 {
		return
	}
	if _, ok := d.segments[res.Segment]; !ok {
		return
	}
	st, ok := d.streams[res.Segment]
	if !ok {
		var err error
		if st, err = d.js.Stream(ctx, JobsStream(res.Segment)); err != nil {
			return
		}
		d.streams[res.Segment] = st
	}
	_ = st.DeleteMsg(ctx, res.JobSeq)
}
