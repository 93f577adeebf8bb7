package workers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
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
	return d.deadFromStream(ctx, stream, a.Stream, a.StreamSeq, a.Deliveries)
}
