package live

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bucket is a token bucket: Rate requests a second on average, Burst at once. Every request
// riskmap sends to a provider (retries included) takes a token, so a sync never asks faster
// than the provider's published limits allow. A throttling answer halves the rate (down to
// a tenth of the configured one) and a Retry-After pauses the bucket until then; each
// success gives back a little of the rate. It is safe for concurrent use.
type Bucket struct {
	mu       sync.Mutex
	rate     float64 // tokens a second now
	max      float64 // the configured rate
	burst    float64
	tokens   float64
	last     time.Time
	pauseTil time.Time
	now      func() time.Time
}

// NewBucket returns a full bucket. rate must be > 0 and burst >= 1 (Config.Validate checks).
func NewBucket(rate float64, burst int, now func() time.Time) *Bucket {
	if now == nil {
		now = time.Now
	}
	return &Bucket{rate: rate, max: rate, burst: float64(burst), tokens: float64(burst), last: now(), now: now}
}

// Wait takes a token, sleeping until one is there, or returns ctx's error.
func (b *Bucket) Wait(ctx context.Context) error {
	for {
		d := b.reserve()
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// reserve takes a token and returns 0, or returns how long to wait before trying again.
func (b *Bucket) reserve() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if now.Before(b.pauseTil) {
		return b.pauseTil.Sub(now)
	}
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// Throttled slows the bucket down after a throttling answer: the rate halves, and when the
// provider said how long to wait (Retry-After), nothing is sent before then.
func (b *Bucket) Throttled(retryAfter time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rate = max(b.rate/2, b.max/10)
	b.tokens = min(b.tokens, 0)
	if retryAfter > 0 {
		if until := b.now().Add(retryAfter); until.After(b.pauseTil) {
			b.pauseTil = until
		}
	}
}

// succeeded lets the rate recover by 5% of the configured rate per successful request.
func (b *Bucket) succeeded() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rate = min(b.max, b.rate+b.max/20)
}

// Rate is the bucket's current rate in requests a second.
func (b *Bucket) Rate() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rate
}

// Counter counts what one provider scope (a region, subscription or project) sent and got.
// It is safe for concurrent use.
type Counter struct {
	mu        sync.Mutex
	calls     int
	throttles int
	errors    int
	waited    time.Duration
}

// Counts is a Counter's figures.
type Counts struct {
	Calls     int           `json:"api_calls"`          // HTTP requests sent, retries included
	Throttles int           `json:"throttles"`          // answers that were throttling (429, RequestLimitExceeded, ...)
	Errors    int           `json:"errors"`             // other error answers (4xx/5xx) and transport errors
	Waited    time.Duration `json:"rate_limit_wait_ns"` // time spent waiting for a token
}

// Counts returns the figures so far.
func (c *Counter) Counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Counts{Calls: c.calls, Throttles: c.throttles, Errors: c.errors, Waited: c.waited}
}

// Add sums two Counts.
func (c Counts) Add(o Counts) Counts {
	return Counts{Calls: c.Calls + o.Calls, Throttles: c.Throttles + o.Throttles, Errors: c.Errors + o.Errors, Waited: c.Waited + o.Waited}
}

// throttleCodes are the error codes providers use for "slow down" in an error body.
var throttleCodes = []string{
	"RequestLimitExceeded", "Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottled", "RequestThrottledException", "TooManyRequestsException",
	"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED",
}

// transport is the http.RoundTripper every SDK client of a scope sends through: it takes a
// token from the scope's bucket before each request, counts requests and throttles, and
// turns a throttling answer into a slower bucket (pausing it for Retry-After). The SDK's own
// retryer then decides whether and when to resend; the bucket makes sure the resend, and
// every other request of the scope, waits.
type transport struct {
	base    http.RoundTripper
	bucket  *Bucket
	counter *Counter
	now     func() time.Time
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.now()
	if err := t.bucket.Wait(req.Context()); err != nil {
		return nil, err
	}
	waited := t.now().Sub(start)
	resp, err := t.base.RoundTrip(req)
	t.counter.mu.Lock()
	t.counter.calls++
	t.counter.waited += waited
	t.counter.mu.Unlock()
	if err != nil {
		t.count(false)
		return nil, err
	}
	if resp.StatusCode < 400 {
		t.bucket.succeeded()
		return resp, nil
	}
	throttled := resp.StatusCode == http.StatusTooManyRequests
	if !throttled && resp.StatusCode != http.StatusNotFound && resp.Body != nil {
		// EC2 throttles with 503 (or 400) and a code in the XML body: peek at it and put it back.
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
		for _, code := range throttleCodes {
			if bytes.Contains(head, []byte(code)) {
				throttled = true
				break
			}
		}
	}
	t.count(throttled)
	if throttled {
		t.bucket.Throttled(retryAfter(resp.Header.Get("Retry-After"), t.now()))
	}
	return resp, nil
}

func (t *transport) count(throttled bool) {
	t.counter.mu.Lock()
	defer t.counter.mu.Unlock()
	if throttled {
		t.counter.throttles++
	} else {
		t.counter.errors++
	}
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date. Azure also sends
// fractional seconds in x-ms-retry-after-ms, which azcore honours by itself.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// limiter hands out one bucket and counter per scope ("aws/eu-west-1", "azure/<subscription>",
// "gcp/<project>"), and HTTP clients that use them.
type limiter struct {
	mu       sync.Mutex
	rate     float64
	burst    int
	base     http.RoundTripper
	now      func() time.Time
	buckets  map[string]*Bucket
	counters map[string]*Counter
}

func newLimiter(rate float64, burst int, base http.RoundTripper, now func() time.Time) *limiter {
	if base == nil {
		base = http.DefaultTransport
	}
	if now == nil {
		now = time.Now
	}
	return &limiter{rate: rate, burst: burst, base: base, now: now, buckets: map[string]*Bucket{}, counters: map[string]*Counter{}}
}

// client returns an HTTP client whose requests go through scope's bucket and counter.
func (l *limiter) client(scope string) *http.Client {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[scope]
	if !ok {
		b = NewBucket(l.rate, l.burst, l.now)
		l.buckets[scope] = b
		l.counters[scope] = &Counter{}
	}
	return &http.Client{Transport: &transport{base: l.base, bucket: b, counter: l.counters[scope], now: l.now}}
}

// counts returns every scope's figures.
func (l *limiter) counts() map[string]Counts {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]Counts, len(l.counters))
	for k, c := range l.counters {
		out[k] = c.Counts()
	}
	return out
}
