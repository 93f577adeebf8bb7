package workers

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// sweep dead-letters the jobs JetStream will never deliver again: a message still in a
// segment's work queue while its consumer has nothing pending and nothing awaiting an ack has
// reached MaxDeliver. The advisory normally reports these as they happen (drainAdvisories);
// the sweep catches those whose advisory went by while no coordinator was listening.
func (d *Dispatcher) sweep(ctx context.Context) error {
	for _, s := range d.cfg.Segments {
		name := JobsStream(s.Name)
		cons, err := d.js.Consumer(ctx, name, ConsumerName)
		if err != nil {
			return fmt.Errorf("sweep: consumer %s/%s: %w", name, ConsumerName, err)
		}
		ci, err := cons.Info(ctx)
		if err != nil {
			return fmt.Errorf("sweep: consumer %s/%s: %w", name, ConsumerName, err)
		}
		if ci.NumPending > 0 || ci.NumAckPending > 0 {
			continue
		}
		stream, err := d.js.Stream(ctx, name)
		if err != nil {
			return fmt.Errorf("sweep: stream %s: %w", name, err)
		}
		si, err := stream.Info(ctx)
		if err != nil {
			return fmt.Errorf("sweep: stream %s: %w", name, err)
		}
		if si.State.Msgs == 0 {
			continue
		}
		for seq := si.State.FirstSeq; seq <= si.State.LastSeq && seq <= ci.Delivered.Stream; seq++ {
			if err := d.deadFromStream(ctx, stream, name, seq, uint64(d.cfg.Delivery.MaxDeliver)); err != nil {
				return err
			}
		}
	}
	return nil
}

// deadFromStream publishes a DeadLetter for the job at seq of stream name and removes it from
// the work queue. A message already gone is not an error.
func (d *Dispatcher) deadFromStream(ctx context.Context, stream jetstream.Stream, name string, seq, deliveries uint64) error {
	raw, err := stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stream %s seq %d: %w", name, seq, err)
	}
	dl := DeadLetter{Version: Version, Reason: fmt.Sprintf("delivered %d times without an ack: its workers died or stalled", deliveries),
		Deliveries: deliveries, At: d.cfg.Now()}
	job, err := DecodeJob(raw.Data)
	if err != nil {
		// A job that does not decode cannot be routed: drop it, as a worker would refuse it.
		return stream.DeleteMsg(ctx, seq)
	}
	dl.JobID, dl.Cycle, dl.Segment, dl.Job = job.ID, job.Cycle, job.Segment, job
	data, err := Encode(dl)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(DeadSubject(dl.Segment))
	msg.Data = data
	msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("max-%s-%d", name, seq))
	if _, err := d.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("publish dead letter of job %s: %w", dl.JobID, err)
	}
	if err := stream.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("delete %s seq %d: %w", name, seq, err)
	}
	return nil
}
