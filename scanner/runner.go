package scanner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/riskmap/riskmap/scanner/nse"
)

// RunnerConfig is how plans become nmap processes.
type RunnerConfig struct {
	// Binary is the nmap executable: a path, or a name looked up in PATH ("" means "nmap").
	Binary string `yaml:"binary" json:"binary"`
	// Parallel is how many nmap processes run at once.
	Parallel int `yaml:"parallel" json:"parallel"`
	// BatchHosts is the most hosts one nmap process scans.
	BatchHosts int `yaml:"batch_hosts" json:"batch_hosts"`
	// MaxHostgroup passes --max-hostgroup (0: nmap decides). nmap writes a host's XML when
	// its host group is done, so this bounds how many hosts a cancel can lose.
	MaxHostgroup int `yaml:"max_hostgroup" json:"max_hostgroup"`
	// HostTimeout is nmap's --host-timeout, RunTimeout the limit on one nmap process.
	HostTimeout time.Duration `yaml:"host_timeout" json:"host_timeout"`
	RunTimeout  time.Duration `yaml:"run_timeout" json:"run_timeout"`
	// StatsEvery is nmap's --stats-every, which writes <taskprogress> into the XML.
	StatsEvery time.Duration `yaml:"stats_every" json:"stats_every"`
	// PollEvery is how often the runner reads the XML nmap is writing, for progress.
	PollEvery time.Duration `yaml:"poll_every" json:"poll_every"`
	// HostDiscovery lets nmap ping hosts first; off (-Pn) by default, since cloud hosts often
	// drop pings and the plan's probe counts hold no discovery probes.
	HostDiscovery bool `yaml:"host_discovery" json:"host_discovery"`
	// TempDir holds nmap's XML while it runs ("" means os.TempDir()).
	TempDir string     `yaml:"temp_dir" json:"temp_dir"`
	Rate    RateConfig `yaml:"rate" json:"rate"`
	// Progress, when set, is called as batches advance. When nil, NewRunner draws progress on
	// stderr if stderr is a terminal, and stays silent otherwise.
	Progress func(Progress) `yaml:"-" json:"-"`
}

// DefaultRunnerConfig returns the defaults: nmap from PATH, 2 processes of at most 64 hosts,
// host groups of 16, 30-minute host timeout, 2-hour run timeout, stats every 2s read every
// 500ms, no host discovery, DefaultRateConfig.
func DefaultRunnerConfig() RunnerConfig {
	return RunnerConfig{
		Binary: "nmap", Parallel: 2, BatchHosts: 64, MaxHostgroup: 16,
		HostTimeout: 30 * time.Minute, RunTimeout: 2 * time.Hour,
		StatsEvery: 2 * time.Second, PollEvery: 500 * time.Millisecond,
		Rate: DefaultRateConfig(),
	}
}

// Validate checks c; it never clamps.
func (c RunnerConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: runner.%s: %s", ErrBadConfig, field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Parallel <= 0:
		return bad("parallel", "%d: want > 0 nmap processes", c.Parallel)
	case c.BatchHosts <= 0:
		return bad("batch_hosts", "%d: want > 0 hosts", c.BatchHosts)
	case c.MaxHostgroup < 0:
		return bad("max_hostgroup", "%d: want >= 0 (0: nmap decides)", c.MaxHostgroup)
	case c.HostTimeout < time.Millisecond:
		return bad("host_timeout", "%s: want at least 1ms", c.HostTimeout)
	case c.RunTimeout <= 0:
		return bad("run_timeout", "%s: want > 0", c.RunTimeout)
	case c.StatsEvery < time.Millisecond:
		return bad("stats_every", "%s: want at least 1ms", c.StatsEvery)
	case c.PollEvery <= 0:
		return bad("poll_every", "%s: want > 0", c.PollEvery)
	}
	return c.Rate.Validate()
}

// Result is one finished batch: its raw XML as nmap wrote it (possibly truncated when Err is
// ErrInterrupted or ErrRunTimeout, possibly not XML at all when Err is ErrBadXML), the error,
// and when it ran. The XML is handed over before anything parses it into records, so that the
// caller can store it first; the runner's only look at it is one token pass (rate feedback,
// nmap's reported error, well-formedness), which builds nothing.
type Result struct {
	Batch    Batch
	XML      []byte
	Err      error
	Started  time.Time
	Finished time.Time

	feedback Feedback // what the runner's token pass read, for the rate controller
}

// Runner runs plans with nmap. It keeps the adaptive rate across runs; one Run at a time.
type Runner struct {
	cfg        RunnerConfig
	profiles   *Profiles
	rate       *Rate
	binary     string
	privileged bool
	now        func() time.Time
}

// NewRunner checks cfg and returns a Runner. It does not look for nmap yet: Run does, and
// fails with ErrNmapNotFound before it starts anything.
func NewRunner(cfg RunnerConfig, profiles *Profiles) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if profiles == nil {
		return nil, fmt.Errorf("%w: runner: no profiles given", ErrBadConfig)
	}
	rate, err := NewRate(cfg.Rate)
	if err != nil {
		return nil, err
	}
	if cfg.Binary == "" {
		cfg.Binary = "nmap"
	}
	if cfg.Progress == nil {
		cfg.Progress = TerminalProgress(os.Stderr)
	}
	return &Runner{cfg: cfg, profiles: profiles, rate: rate, binary: cfg.Binary,
		privileged: os.Geteuid() == 0, now: time.Now}, nil
}

// Run scans plan inside scope. Every address is checked against scope first; refused ones
// never reach nmap and are reported in a *ScopeError (wrapping ErrOutOfScope) in the returned
// error, while the rest are scanned. Batches run up to Parallel at a time, at most one at a
// time per network with a rate cap (so that the cap holds for the network as a whole), highest
// priority first.
//
// sink is called once per finished batch, from Run's goroutine, one call at a time, with the
// raw XML: store it, then parse it. When sink returns an error, Run cancels the batches still
// running (their results still go to sink), starts no more, and returns the error.
//
// Cancelling ctx stops nmap and keeps every completed host: each interrupted batch reaches
// sink with what nmap had written and an error wrapping ErrInterrupted. The returned error
// joins the sink's error, each failed batch's error and the scope refusals.
func (r *Runner) Run(ctx context.Context, plan *Plan, scope Scope, sink func(Result) error) error {
	if scope.Empty() {
		return ErrNoScope
	}
	if sink == nil {
		return errors.New("run: no sink given: the raw XML must go somewhere")
	}
	bin, err := exec.LookPath(r.binary)
	if err != nil {
		return fmt.Errorf("%w: %q: %w (install nmap or set runner.binary)", ErrNmapNotFound, r.binary, err)
	}
	batches, refused, err := r.Batches(plan, scope)
	if err != nil {
		return err
	}
	if r.usesChecks() {
		if _, err := nse.Install(r.scriptRoot()); err != nil {
			return err
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	prog := newTracker(batches, r.cfg.Progress, r.now)
	results := make(chan Result)
	busy := map[string]bool{}
	pending := batches
	running := 0
	var errs []error
	stopped := false
	for len(pending) > 0 || running > 0 {
		for running < r.cfg.Parallel && !stopped && runCtx.Err() == nil {
			i := nextBatch(pending, busy)
			if i < 0 {
				break
			}
			b := pending[i]
			pending = append(pending[:i:i], pending[i+1:]...)
			b.MaxRate, b.RateReason = r.rate.Next(b.Network, b.cap)
			if err := r.fillArgs(&b, scope); err != nil {
				errs = append(errs, err)
				continue
			}
			if b.cap > 0 {
				busy[b.Network] = true
			}
			running++
			go func(b Batch) { results <- r.runBatch(runCtx, bin, b, scope, prog) }(b)
		}
		if running == 0 {
			break
		}
		res := <-results
		running--
		if res.Batch.cap > 0 {
			busy[res.Batch.Network] = false
		}
		if err := sink(res); err != nil && !stopped {
			stopped = true
			cancel()
			errs = append(errs, fmt.Errorf("sink: %w", err))
		}
		if res.Err == nil || errors.Is(res.Err, ErrRunTimeout) {
			r.rate.Observe(res.Batch.Network, res.Batch.MaxRate, res.feedback)
		}
		if res.Err != nil {
			errs = append(errs, fmt.Errorf("batch %s of %d hosts: %w", res.Batch.Tier, len(res.Batch.Addrs), res.Err))
		}
	}
	prog.done()
	if n := len(pending); n > 0 {
		why := errors.New("the sink failed")
		if ctx.Err() != nil {
			why = fmt.Errorf("%w: %w", ErrInterrupted, ctx.Err())
		}
		errs = append(errs, fmt.Errorf("%d batch(es) not started: %w", n, why))
	}
	if len(refused) > 0 {
		errs = append(errs, &ScopeError{Refusals: refused})
	}
	return errors.Join(errs...)
}

// nextBatch returns the index of the first pending batch whose network is free, or -1.
func nextBatch(pending []Batch, busy map[string]bool) int {
	for i, b := range pending {
		if b.cap == 0 || !busy[b.Network] {
			return i
		}
	}
	return -1
}
