package workers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Live lists the workers whose heartbeats have not expired, sorted by segment and worker.
// An entry that does not decode is an error naming its key.
func Live(ctx context.Context, js jetstream.JetStream) ([]Heartbeat, error) {
	kv, err := js.KeyValue(ctx, WorkersBucket)
	if err != nil {
		return nil, fmt.Errorf("kv %s: %w", WorkersBucket, err)
	}
	keys, err := kv.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("kv %s keys: %w", WorkersBucket, err)
	}
	var out []Heartbeat
	for _, k := range keys {
		e, err := kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // expired or deleted since Keys
		}
		if err != nil {
			return nil, fmt.Errorf("kv %s key %s: %w", WorkersBucket, k, err)
		}
		hb, err := DecodeHeartbeat(e.Value())
		if err != nil {
			return nil, fmt.Errorf("kv %s key %s: %w", WorkersBucket, k, err)
		}
		out = append(out, *hb)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Segment != out[j].Segment {
			return out[i].Segment < out[j].Segment
		}
		return out[i].Worker < out[j].Worker
	})
	return out, nil
}

// liveBySegment counts live workers per segment.
func liveBySegment(ctx context.Context, kv jetstream.KeyValue) (map[string]int, error) {
	keys, err := kv.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return map[string]int{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("kv %s keys: %w", WorkersBucket, err)
	}
	out := map[string]int{}
	for _, k := range keys {
		seg, _, _ := strings.Cut(k, ".")
		out[seg]++
	}
	return out, nil
}
