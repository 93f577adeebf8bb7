package scanner

import (
	"fmt"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
)

// PlannerConfig is how the planner spends a cycle's probes.
type PlannerConfig struct {
	// Budget is the probes one cycle may send, all assets together.
	Budget int `yaml:"budget" json:"budget"`
	// Exploration is the share of Budget kept for assets the scores would not pick, so that a
	// loop trained only on what it chose to scan does not go blind. In [0, 1).
	Exploration float64 `yaml:"exploration" json:"exploration"`
	// MinRescan is how long an asset waits after a scan before a tier no deeper than that
	// scan's runs again on it. A deeper tier may follow at once.
	MinRescan map[riskmap.Tier]time.Duration `yaml:"min_rescan" json:"min_rescan"`
	// QuietHours cap the tier of matching assets during a daily window.
	QuietHours []QuietHours `yaml:"quiet_hours" json:"quiet_hours"`
	// NetworkRate caps packets per second per network (VPC); with Window it also caps the
	// probes a network gets in one cycle (rate x Window), and the runner passes it to
	// --max-rate.
	NetworkRate map[string]int `yaml:"network_rate" json:"network_rate"`
	// Window is how long one cycle's scans may take; it turns NetworkRate into probes.
	Window time.Duration `yaml:"window" json:"window"`
	// AnomalyWeight is how much anomaly adds to risk in an asset's value, in [0, 1].
	AnomalyWeight float64 `yaml:"anomaly_weight" json:"anomaly_weight"`
	// PredictedShare is the share of an asset's serious findings expected on its predicted
	// ports, in [0, 1].
	PredictedShare float64 `yaml:"predicted_share" json:"predicted_share"`
	// Seed makes the exploration draw reproducible.
	Seed int64 `yaml:"seed" json:"seed"`
	// Sweep is the share of Budget kept for sweeping the port space: TCP ports that no tier
	// list and no prediction would probe, in rotation, so that every port of every in-scope
	// asset is probed at least once every Plan.Sweep.Period cycles. In [0, 1); 0 turns the
	// sweep off (and with it the guarantee). Exploration and Sweep together stay below 1.
	Sweep float64 `yaml:"sweep" json:"sweep"`
	// SweepWide is the share of the sweep kept for wide-open assets (Candidate.WideOpen: rules
	// that open every port, or wide ranges, to the internet), which rotate on their own, faster
	// period; what they do not need goes to the rest. In [0, 1].
	SweepWide float64 `yaml:"sweep_wide" json:"sweep_wide"`
	// SweepBlock is how many ports the sweep takes at a time from one asset: its unit of
	// rotation. Ports are ranked by nmap-services' open-frequency, so the likelier blocks of
	// a port space come first. In 16-65535.
	SweepBlock int `yaml:"sweep_block" json:"sweep_block"`
	// SweepTier is the tier of an asset scanned only for its sweep: light sees open ports,
	// standard also names their services (-sV --version-light), which findings need.
	SweepTier riskmap.Tier `yaml:"sweep_tier" json:"sweep_tier"`
	// SweepWideFirst is the share of Budget that wide-open assets' never-swept blocks may take
	// ahead of escalation: after every asset's first look (light, its predicted ports) and the
	// re-checks, a wide-open asset's full port range is swept first, across as many cycles as
	// this share needs (Plan.Sweep.WideCycles), since no rule keeps any of those ports from the
	// internet. Escalation gets what it leaves. In [0, 1]; 0 leaves them to WideUnlisted.
	SweepWideFirst float64 `yaml:"sweep_wide_first" json:"sweep_wide_first"`
	// WideUnlisted is the share of a wide-open asset's value (its expected serious findings)
	// expected on ports that no list names, in [0, 1]. Beyond its guaranteed share of the
	// sweep and SweepWideFirst, a wide-open asset's never-swept blocks compete with tier
	// escalation on expected serious findings per probe (Objective.SweepGain), with this share
	// spread evenly over its unswept ports: the rules let every port through, so no port is
	// likelier than another. Blocks swept before compete too, for what may have opened since:
	// this share spread over the asset's whole wide range, times the age of their last probe
	// over Fresh (at most 1; 1 with Fresh off).
	// 0 leaves wide-open assets their guaranteed share alone.
	WideUnlisted float64 `yaml:"wide_unlisted" json:"wide_unlisted"`
	// Recheck is how often an asset with a known serious exposure has those ports probed again
	// (is it still open? fixed?), from a share of the budget taken before anything else; 0
	// turns re-checks off.
	Recheck time.Duration `yaml:"recheck" json:"recheck"`
	// Fresh is how long a scan's knowledge of an asset stays fresh: repeating a tier above light
	// on an asset scanned at that tier or deeper Fresh ago or less gains, beyond what light
	// gains, only age/Fresh of what it gained the first time (the rest is known already). So
	// the budget goes to what nobody looked at (the port space, new assets) before it goes to
	// escalating the same assets again. Light scans (predicted ports, which catch rule drift)
	// keep their full value. 0 turns the discount off.
	Fresh time.Duration `yaml:"fresh" json:"fresh"`
}

// QuietHours caps how deep assets whose tag Tag equals Value (case-insensitively; an empty
// Tag matches every asset) are scanned between From and To ("09:00", "18:00", 24-hour clock)
// in Location (an IANA zone name; "" is UTC, "Local" the machine's zone). A window with From
// after To wraps past midnight. MaxTier skip means no scan at all.
type QuietHours struct {
	Tag      string       `yaml:"tag" json:"tag"`
	Value    string       `yaml:"value" json:"value"`
	From     string       `yaml:"from" json:"from"`
	To       string       `yaml:"to" json:"to"`
	Location string       `yaml:"location" json:"location"`
	MaxTier  riskmap.Tier `yaml:"max_tier" json:"max_tier"`
}

// DefaultPlannerConfig returns the defaults: 2,000,000 probes a cycle (about 1,600 hosts at
// standard), 10% exploration, rescans after 6h (light), 24h (standard) and 7 days (deep), no
// deep scans of env=prod from 09:00 to 18:00 local time, a one-hour window, anomaly weighted
// 0.5, 70% of findings expected on predicted ports, seed 1; 30% of the budget sweeps the port
// space (70% of it for wide-open assets) in blocks of 256 ports at the standard tier, wide-open
// assets' never-swept blocks may take up to 80% of the budget ahead of escalation, a
// wide-open asset's unswept ports are expected to hold all of its value (wide_unlisted 1), and
// known serious exposures are re-checked every 24h, and a scan above light stays fresh for 24h.
func DefaultPlannerConfig() PlannerConfig {
	return PlannerConfig{
		Budget:      2_000_000,
		Exploration: 0.10,
		MinRescan: map[riskmap.Tier]time.Duration{
			riskmap.TierLight:    6 * time.Hour,
			riskmap.TierStandard: 24 * time.Hour,
			riskmap.TierDeep:     7 * 24 * time.Hour,
		},
		QuietHours: []QuietHours{{Tag: "env", Value: "prod", From: "09:00", To: "18:00", Location: "Local", MaxTier: riskmap.TierStandard}},
		Window:     time.Hour, AnomalyWeight: 0.5, PredictedShare: 0.7, Seed: 1,
		Sweep: 0.3, SweepWide: 0.7, SweepBlock: 256, SweepTier: riskmap.TierStandard, SweepWideFirst: 0.8, WideUnlisted: 1, Recheck: 24 * time.Hour, Fresh: 24 * time.Hour,
	}
}

// Validate checks every field; it never clamps.
func (c PlannerConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: planner.%s: %s", ErrBadConfig, field, fmt.Sprintf(format, args...))
	}
	if c.Budget <= 0 {
		return bad("budget", "%d: want > 0 probes per cycle", c.Budget)
	}
	if !(c.Exploration >= 0 && c.Exploration < 1) {
		return bad("exploration", "%v: want a share in [0, 1)", c.Exploration)
	}
	for t, d := range c.MinRescan {
		if !scans(t) {
			return bad("min_rescan", "tier %s: want light, standard or deep", t)
		}
		if d < 0 {
			return bad("min_rescan."+t.String(), "%s: want >= 0", d)
		}
	}
	if _, err := c.quietRules(); err != nil {
		return err
	}
	for net, r := range c.NetworkRate {
		if r <= 0 {
			return bad("network_rate."+net, "%d: want > 0 packets per second", r)
		}
	}
	if c.Window <= 0 {
		return bad("window", "%s: want > 0", c.Window)
	}
	if !(c.AnomalyWeight >= 0 && c.AnomalyWeight <= 1) {
		return bad("anomaly_weight", "%v: want [0, 1]", c.AnomalyWeight)
	}
	if !(c.PredictedShare >= 0 && c.PredictedShare <= 1) {
		return bad("predicted_share", "%v: want [0, 1]", c.PredictedShare)
	}
	if !(c.Sweep >= 0 && c.Sweep < 1) || c.Sweep+c.Exploration >= 1 {
		return bad("sweep", "%v: want a share in [0, 1), with exploration (%v) below 1 in all", c.Sweep, c.Exploration)
	}
	if !(c.SweepWide >= 0 && c.SweepWide <= 1) {
		return bad("sweep_wide", "%v: want a share in [0, 1]", c.SweepWide)
	}
	if !(c.SweepWideFirst >= 0 && c.SweepWideFirst <= 1) {
		return bad("sweep_wide_first", "%v: want a share in [0, 1]", c.SweepWideFirst)
	}
	if !(c.WideUnlisted >= 0 && c.WideUnlisted <= 1) {
		return bad("wide_unlisted", "%v: want a share in [0, 1]", c.WideUnlisted)
	}
	if c.Sweep > 0 && (c.SweepBlock < 16 || c.SweepBlock > 65535) {
		return bad("sweep_block", "%d: want 16-65535 ports", c.SweepBlock)
	}
	if c.Sweep > 0 && c.SweepTier != riskmap.TierLight && c.SweepTier != riskmap.TierStandard {
		return bad("sweep_tier", "%s: want light or standard", c.SweepTier)
	}
	if c.Fresh < 0 {
		return bad("fresh", "%s: want >= 0", c.Fresh)
	}
	if c.Recheck < 0 {
		return bad("recheck", "%s: want >= 0 (0: no re-checks)", c.Recheck)
	}
	return nil
}

type quietRule struct {
	q        QuietHours
	from, to int // minutes after midnight
	loc      *time.Location
}

func (c PlannerConfig) quietRules() ([]quietRule, error) {
	var out []quietRule
	for i, q := range c.QuietHours {
		bad := func(field, format string, args ...any) error {
			return fmt.Errorf("%w: planner.quiet_hours[%d].%s: %s", ErrBadConfig, i, field, fmt.Sprintf(format, args...))
		}
		from, err := parseClock(q.From)
		if err != nil {
			return nil, bad("from", "%v", err)
		}
		to, err := parseClock(q.To)
		if err != nil {
			return nil, bad("to", "%v", err)
		}
		if from == to {
			return nil, bad("to", "%q equals from: want a window of some length", q.To)
		}
		loc := time.UTC
		if q.Location != "" {
			if loc, err = time.LoadLocation(q.Location); err != nil {
				return nil, bad("location", "%q: %v", q.Location, err)
			}
		}
		if q.MaxTier < riskmap.TierSkip || q.MaxTier > riskmap.TierDeep {
			return nil, bad("max_tier", "%d: want skip, light, standard or deep", int(q.MaxTier))
		}
		out = append(out, quietRule{q: q, from: from, to: to, loc: loc})
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q: want HH:MM on a 24-hour clock", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

func (r quietRule) active(now time.Time) bool {
	t := now.In(r.loc)
	m := t.Hour()*60 + t.Minute()
	if r.from < r.to {
		return m >= r.from && m < r.to
	}
	return m >= r.from || m < r.to
}

func (r quietRule) matches(tags map[string]string) bool {
	if r.q.Tag == "" {
		return true
	}
	for k, v := range tags {
		if strings.EqualFold(k, r.q.Tag) && strings.EqualFold(v, r.q.Value) {
			return true
		}
	}
	return false
}

// quietCap returns the deepest tier the quiet hours active now allow for these tags, and a
// note naming the rule that capped it ("" when none did).
func (pl *planner) quietCap(tags map[string]string) (riskmap.Tier, string) {
	limit, note := riskmap.TierDeep, ""
	for _, r := range pl.rules {
		if r.q.MaxTier < limit && r.active(pl.now) && r.matches(tags) {
			limit = r.q.MaxTier
			who := "all assets"
			if r.q.Tag != "" {
				who = r.q.Tag + "=" + r.q.Value
			}
			note = fmt.Sprintf("quiet hours: at most %s for %s from %s to %s %s", limit, who, r.q.From, r.q.To, r.loc)
		}
	}
	return limit, note
}
