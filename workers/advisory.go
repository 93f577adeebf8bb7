package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// maxDeliveries is the part of JetStream's io.nats.jetstream.advisory.v1.max_deliver
// advisory that the coordinator reads.
type maxDeliveries struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// drainAdvisories turns every job that reached MaxDeliver without an ack (its workers died
// or stalled on each delivery) into a DeadLetter, and removes it from the work queue, where
// JetStream leaves it.
func (d *Dispatcher) drainAdvisories(ctx context.Context) error {
	for {
		select {
		case m := <-d.maxed:
			if err := d.deadFromAdvisory(ctx, m); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

func (d *Dispatcher) deadFromAdvisory(ctx context.Context, m *nats.Msg) error {
	var a maxDeliveries
	if err := json.Unmarshal(m.Data, &a); err != nil {
		return fmt.Errorf("advisory %s: %w", m.Subject, err)
	}
	stream, err := d.js.Stream(ctx, a.Stream)
	if err != nil {
		return fmt.Errorf("advisory: stream %s: %w", a.Stream, err)
	}
	raw, err := stream.GetMsg(ctx, a.StreamSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // acked or removed meanwhile
	}
	if err != nil {
		return fmt.Errorf("advisory: stream %s seq %d: %w", a.Stream, a.StreamSeq, err)
	}
	dl := DeadLetter{Version: Version, Reason: fmt.Sprintf("delivered %d times without an ack: its workers died or stalled", a.Deliveries),
		Deliveries: a.Deliveries, At: d.cfg.Now()}
	if job, err := DecodeJob(raw.Data); err == nil {
		dl.JobID, dl.Cycle, dl.Segment, dl.Job = job.ID, job.Cycle, job.Segment, job
	} else {
		dl.JobID = fmt.Sprintf("%s-seq-%d", a.Stream, a.StreamSeq)
		dl.Reason += "; the job does not decode: " + err.Error()
	}
	if dl.Segment == "" {
		return nil
	}
	data, err := Encode(dl)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(DeadSubject(dl.Segment))
	msg.Data = data
	msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("max-%s-%d", a.Stream, a.StreamSeq))
	if _, err := d.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("publish dead letter of job %s: %w", dl.JobID, err)
	}
	if err := stream.DeleteMsg(ctx, a.StreamSeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("advisory: delete %s seq %d: %w", a.Stream, a.StreamSeq, err)
	}
	return nil
}
