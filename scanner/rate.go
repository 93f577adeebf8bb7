package scanner

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
)

// RateConfig is the adaptive --max-rate: additive increase, multiplicative decrease (AIMD),
// kept per network, in packets per second.
type RateConfig struct {
	// Initial is the rate of a network's first batch.
	Initial int `yaml:"initial" json:"initial"`
	// Min and Max bound the rate.
	Min int `yaml:"min" json:"min"`
	Max int `yaml:"max" json:"max"`
	// Step is added after a clean batch.
	Step int `yaml:"step" json:"step"`
	// Decrease multiplies the rate after a troubled batch, in (0, 1).
	Decrease float64 `yaml:"decrease" json:"decrease"`
	// NoResponseShare is the share of probed ports without any answer above which a batch
	// counts as dropping probes. Security groups that drop rather than reject make most ports
	// silent in a healthy cloud scan, so the default (0.95) only fires when nearly everything
	// goes unanswered; 1 turns this signal off and leaves host timeouts alone.
	NoResponseShare float64 `yaml:"no_response_share" json:"no_response_share"`
}

// DefaultRateConfig starts at 300 packets/s, moves between 10 and 1,000, adds 50 after a
// clean batch and halves after a troubled one.
func DefaultRateConfig() RateConfig {
	return RateConfig{Initial: 300, Min: 10, Max: 1000, Step: 50, Decrease: 0.5, NoResponseShare: 0.95}
}

// Validate checks c.
func (c RateConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: runner.rate.%s: %s", ErrBadConfig, field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Min <= 0:
		return bad("min", "%d: want > 0 packets per second", c.Min)
	case c.Max < c.Min:
		return bad("max", "%d: want >= min (%d)", c.Max, c.Min)
	case c.Initial < c.Min || c.Initial > c.Max:
		return bad("initial", "%d: want between min (%d) and max (%d)", c.Initial, c.Min, c.Max)
	case c.Step < 0:
		return bad("step", "%d: want >= 0", c.Step)
	case !(c.Decrease > 0 && c.Decrease < 1):
		return bad("decrease", "%v: want a factor in (0, 1)", c.Decrease)
	case !(c.NoResponseShare >= 0 && c.NoResponseShare <= 1):
		return bad("no_response_share", "%v: want [0, 1]", c.NoResponseShare)
	}
	return nil
}

// Feedback is what one batch's XML says about the network's health.
type Feedback struct {
	Hosts      int // hosts reported
	TimedOut   int // hosts nmap gave up on (--host-timeout)
	Ports      int // ports reported, listed or summarised in extraports
	NoResponse int // of those, ports that never answered
}

// ReadFeedback counts host timeouts and unanswered ports in nmap XML. It reads as far as the
// XML goes, so a truncated run (interrupted, timed out) still counts its completed hosts.
func ReadFeedback(data []byte) Feedback { return inspect(data).feedback }

// inspection is what the runner's one pass over a batch's XML reads: the rate feedback, the
// error nmap reported in <finished errormsg>, and whether the XML is well-formed as far as it
// goes. It is a token pass (no tree is built); the XML's one parse into records is
// features/nmapxml's, at ingest.
type inspection struct {
	feedback Feedback
	errorMsg string
	syntax   error // the first syntax error; nil when the XML only ends early or not at all
}

func inspect(data []byte) inspection {
	var in inspection
	f := &in.feedback
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	timedOut := false
	for {
		tok, err := dec.RawToken()
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) && !strings.Contains(se.Msg, "unexpected EOF") {
				in.syntax = err
			}
			return in
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "host":
			f.Hosts++
			timedOut = attr(se, "timedout") == "true"
			if timedOut {
				f.TimedOut++
			}
		case "status":
			if !timedOut && attr(se, "reason") == "host-timeout" {
				timedOut = true
				f.TimedOut++
			}
		case "port":
			f.Ports++
		case "state":
			if attr(se, "reason") == "no-response" {
				f.NoResponse++
			}
		case "extraports":
			f.Ports += atoi(attr(se, "count"))
		case "extrareasons":
			if attr(se, "reason") == "no-response" {
				f.NoResponse += atoi(attr(se, "count"))
			}
		case "finished":
			in.errorMsg = attr(se, "errormsg")
		}
	}
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// trouble says whether f shows the network struggling, and why.
func (f Feedback) trouble(c RateConfig) (bool, string) {
	if f.TimedOut > 0 {
		return true, fmt.Sprintf("%d of %d hosts timed out", f.TimedOut, f.Hosts)
	}
	if c.NoResponseShare < 1 && f.Ports > 0 && float64(f.NoResponse)/float64(f.Ports) > c.NoResponseShare {
		return true, fmt.Sprintf("%d of %d probed ports got no response", f.NoResponse, f.Ports)
	}
	return false, ""
}

// Rate is the AIMD controller shared by a run's batches, one rate per network. It is safe
// for concurrent use.
type Rate struct {
	cfg RateConfig
	mu  sync.Mutex
	cur map[string]int
	why map[string]string
}

// NewRate returns a controller at cfg.Initial for every network.
func NewRate(cfg RateConfig) (*Rate, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Rate{cfg: cfg, cur: map[string]int{}, why: map[string]string{}}, nil
}

// Next returns the --max-rate for the next batch of network, never above limit when limit
// is positive (the network's configured cap), and why.
func (r *Rate) Next(network string, limit int) (int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rate, ok := r.cur[network]
	why := r.why[network]
	if !ok {
		rate, why = r.cfg.Initial, fmt.Sprintf("initial rate %d/s", r.cfg.Initial)
	}
	if limit > 0 && rate > limit {
		return limit, fmt.Sprintf("%s, capped at %d/s by network %q's rate limit", why, limit, network)
	}
	return rate, why
}

// Observe feeds back the XML of a batch of network that ran at used packets per second:
// a troubled batch multiplies the rate by Decrease (from the lower of the current rate and
// the one used), a clean one adds Step.
func (r *Rate) Observe(network string, used int, f Feedback) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, ok := r.cur[network]
	if !ok {
		cur = r.cfg.Initial
	}
	if bad, why := f.trouble(r.cfg); bad {
		base := cur
		if used > 0 && used < base {
			base = used
		}
		next := max(r.cfg.Min, int(math.Floor(float64(base)*r.cfg.Decrease)))
		r.cur[network] = next
		r.why[network] = fmt.Sprintf("lowered from %d to %d/s: %s in the previous batch", base, next, why)
		return
	}
	if f.Hosts == 0 {
		return // nothing learned
	}
	next := min(r.cfg.Max, cur+r.cfg.Step)
	r.cur[network] = next
	if next == cur {
		r.why[network] = fmt.Sprintf("at the maximum %d/s: previous batch clean", cur)
	} else {
		r.why[network] = fmt.Sprintf("raised from %d to %d/s: previous batch clean", cur, next)
	}
}
