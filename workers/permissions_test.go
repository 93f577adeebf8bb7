package workers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/riskmap/riskmap/workers"
)

// TestWorkerPermissions connects as segment 0's worker and checks that it can reach its own
// jobs and XML but not segment 1's jobs, XML or anyone's results.
func TestWorkerPermissions(t *testing.T) {
	v := newEnv(t, 2)
	ctx := context.Background()
	d, err := workers.NewDispatcher(ctx, v.nc, v.dispatchConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	violations := make(chan error, 16)
	nc, err := nats.Connect(v.url(), nats.UserInfo("w-seg0", workerPassword(0)),
		nats.CustomInboxPrefix(workers.InboxPrefix(segName(0))),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { violations <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, time.Second) }

	// Its own segment: allowed (the control: the user works at all).
	c, cancel := short()
	defer cancel()
	if _, err := js.Consumer(c, workers.JobsStream(segName(0)), workers.ConsumerName); err != nil {
		t.Fatalf("own jobs consumer: %v", err)
	}
	if _, err := js.ObjectStore(c, workers.XMLBucket(segName(0))); err != nil {
		t.Fatalf("own XML bucket: %v", err)
	}

	// Another segment's jobs and XML: refused.
	c2, cancel2 := short()
	defer cancel2()
	if _, err := js.Consumer(c2, workers.JobsStream(segName(1)), workers.ConsumerName); err == nil {
		t.Error("segment 0's worker reached segment 1's jobs consumer")
	}
	c3, cancel3 := short()
	defer cancel3()
	if _, err := js.ObjectStore(c3, workers.XMLBucket(segName(1))); err == nil {
		t.Error("segment 0's worker reached segment 1's XML bucket")
	}
	// Reading jobs or results by subscription: refused by the server.
	for _, subj := range []string{workers.JobsSubject(segName(1)), "riskmap.results.>", "_INBOX.>", "$JS.ACK.>"} {
		if _, err := nc.SubscribeSync(subj); err != nil {
			continue // refused at once
		}
		nc.Flush()
		select {
		case err := <-violations:
			if !errors.Is(err, nats.ErrPermissionViolation) && !strings.Contains(strings.ToLower(err.Error()), "permissions violation") {
				t.Errorf("subscribe %s: %v, want a permissions violation", subj, err)
			}
		case <-time.After(2 * time.Second):
			t.Errorf("subscribe %s: allowed, want a permissions violation", subj)
		}
	}
	// Publishing a job to another segment: refused.
	if err := nc.Publish(workers.JobsSubject(segName(1)), []byte("{}")); err == nil {
		nc.Flush()
		select {
		case <-violations:
		case <-time.After(2 * time.Second):
			t.Error("segment 0's worker published a job to segment 1")
		}
	}
}
