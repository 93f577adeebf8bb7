package live_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/features/inventory/live"
)

// A bucket hands out its burst at once, then a token per 1/rate; a throttle halves the rate
// (never below a tenth of it) and a Retry-After pauses it.
func TestBucket(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	b := live.NewBucket(10, 2, clock)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for i := 0; i < 2; i++ {
		if err := b.Wait(ctx); err != nil {
			t.Fatalf("token %d of the burst: %v", i, err)
		}
	}
	// The clock stands still: the third token never comes, and Wait gives up with ctx.
	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if err := b.Wait(short); err == nil {
		t.Fatal("a token came from an empty bucket with the clock stopped")
	}
	now = now.Add(100 * time.Millisecond) // one token at 10/s
	if err := b.Wait(ctx); err != nil {
		t.Fatalf("after 100ms: %v", err)
	}
	b.Throttled(0)
	if b.Rate() != 5 {
		t.Errorf("rate after a throttle: %g, want 5", b.Rate())
	}
	for i := 0; i < 10; i++ {
		b.Throttled(0)
	}
	if b.Rate() != 1 {
		t.Errorf("rate after many throttles: %g, want the floor 1 (a tenth)", b.Rate())
	}
	b.Throttled(time.Minute)
	now = now.Add(30 * time.Second) // tokens have refilled, but the pause holds
	short3, cancel3 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel3()
	if err := b.Wait(short3); err == nil {
		t.Error("a token came during a Retry-After pause")
	}
	now = now.Add(31 * time.Second)
	if err := b.Wait(ctx); err != nil {
		t.Errorf("after the pause: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  live.Config
		want string // "" for valid
	}{
		{"aws defaults", live.Config{Provider: "aws"}, ""},
		{"azure without subscriptions", live.Config{Provider: "azure"}, "sync.subscriptions"},
		{"gcp without projects", live.Config{Provider: "gcp"}, "sync.projects"},
		{"gcp with regions", live.Config{Provider: "gcp", Projects: []string{"p"}, Regions: []string{"x"}}, "for aws"},
		{"unknown provider", live.Config{Provider: "oracle"}, "provider"},
		{"negative rate", live.Config{Provider: "aws", Rate: -1}, "sync.rate"},
		{"page size", live.Config{Provider: "aws", PageSize: 5000}, "sync.page_size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.WithDefaults().Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid config refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}
