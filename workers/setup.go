package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// SegmentConfig is one segment's worker pool as the coordinator sets it up.
type SegmentConfig struct {
	Name string `yaml:"name" json:"name"`
	// Networks are the inventory networks (VPC, VNet, network, or subnet ids) this segment's
	// workers can reach; a plan item goes to the segment that lists its Network.
	Networks []string `yaml:"networks" json:"networks"`
	// Pool is the most jobs the segment runs at once, across all its workers (the
	// consumer's MaxAckPending).
	Pool int `yaml:"pool" json:"pool"`
	// MaxRate is the segment's packets-per-second cap across all its workers (0: none); each
	// job gets MaxRate/Pool.
	MaxRate int `yaml:"max_rate" json:"max_rate"`
}

// Delivery is how JetStream delivers jobs.
type Delivery struct {
	// AckWait is how long a delivered job may go without an ack or a heartbeat before it is
	// redelivered; workers heartbeat (InProgress) every AckWait/3.
	AckWait time.Duration `yaml:"ack_wait" json:"ack_wait"`
	// MaxDeliver is how many times a job is delivered before it is dead-lettered.
	MaxDeliver int `yaml:"max_deliver" json:"max_deliver"`
	// Retention is how long results, dead letters and XML are kept.
	Retention time.Duration `yaml:"retention" json:"retention"`
	// WorkerTTL is how long a worker stays listed after its last heartbeat.
	WorkerTTL time.Duration `yaml:"worker_ttl" json:"worker_ttl"`
}

// DefaultDelivery acks within 1 minute, delivers at most 4 times, keeps results 7 days and
// lists a worker for 30 seconds after its last heartbeat.
func DefaultDelivery() Delivery {
	return Delivery{AckWait: time.Minute, MaxDeliver: 4, Retention: 7 * 24 * time.Hour, WorkerTTL: 30 * time.Second}
}

// Validate checks d.
func (d Delivery) Validate() error {
	switch {
	case d.AckWait < 100*time.Millisecond:
		return fmt.Errorf("workers delivery ack_wait %s: want at least 100ms", d.AckWait)
	case d.MaxDeliver < 1:
		return fmt.Errorf("workers delivery max_deliver %d: want >= 1", d.MaxDeliver)
	case d.Retention < time.Minute:
		return fmt.Errorf("workers delivery retention %s: want at least 1m", d.Retention)
	case d.WorkerTTL < time.Second:
		return fmt.Errorf("workers delivery worker_ttl %s: want at least 1s", d.WorkerTTL)
	}
	return nil
}

// Validate checks s.
func (s SegmentConfig) Validate() error {
	if err := CheckSegment(s.Name); err != nil {
		return fmt.Errorf("workers segment: %w", err)
	}
	switch {
	case s.Pool < 1:
		return fmt.Errorf("workers segment %s pool %d: want >= 1", s.Name, s.Pool)
	case s.MaxRate < 0:
		return fmt.Errorf("workers segment %s max_rate %d: want >= 0", s.Name, s.MaxRate)
	case s.MaxRate > 0 && s.MaxRate < s.Pool:
		return fmt.Errorf("workers segment %s max_rate %d: want at least one packet/s per pool slot (%d)", s.Name, s.MaxRate, s.Pool)
	}
	return nil
}

// Setup creates or updates the shared streams and buckets, and each segment's jobs stream,
// consumer and XML bucket. It is idempotent: the coordinator runs it at every start.
func Setup(ctx context.Context, js jetstream.JetStream, d Delivery, segments []SegmentConfig) error {
	if err := d.Validate(); err != nil {
		return err
	}
	shared := []jetstream.StreamConfig{
		{Name: ResultsStream, Subjects: []string{"riskmap.results.*"}, Storage: jetstream.FileStorage, MaxAge: d.Retention, Duplicates: 2 * time.Minute},
		{Name: DeadStream, Subjects: []string{"riskmap.dead.*"}, Storage: jetstream.FileStorage, MaxAge: d.Retention},
	}
	for _, sc := range shared {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("stream %s: %w", sc.Name, err)
		}
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: WorkersBucket, TTL: d.WorkerTTL, Storage: jetstream.FileStorage}); err != nil {
		return fmt.Errorf("kv %s: %w", WorkersBucket, err)
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: JobsBucket, TTL: d.Retention, Storage: jetstream.FileStorage}); err != nil {
		return fmt.Errorf("kv %s: %w", JobsBucket, err)
	}
	for _, s := range segments {
		if err := s.Validate(); err != nil {
			return err
		}
		name := JobsStream(s.Name)
		if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name: name, Subjects: []string{JobsSubject(s.Name)}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Duplicates: d.Retention,
		}); err != nil {
			return fmt.Errorf("stream %s: %w", name, err)
		}
		if _, err := js.CreateOrUpdateConsumer(ctx, name, jetstream.ConsumerConfig{
			Durable: ConsumerName, AckPolicy: jetstream.AckExplicitPolicy, AckWait: d.AckWait,
			MaxDeliver: d.MaxDeliver, MaxAckPending: s.Pool, FilterSubject: JobsSubject(s.Name),
		}); err != nil {
			return fmt.Errorf("consumer %s/%s: %w", name, ConsumerName, err)
		}
		if _, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket: XMLBucket(s.Name), Storage: jetstream.FileStorage, TTL: d.Retention, Compression: true,
		}); err != nil {
			return fmt.Errorf("object store %s: %w", XMLBucket(s.Name), err)
		}
	}
	return nil
}
