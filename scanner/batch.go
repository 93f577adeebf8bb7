package scanner

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/Ullaakut/nmap/v3"
	"github.com/riskmap/riskmap"
)

// Batch is one nmap process: hosts of one tier, one address family and one network that
// scan the same ports. Args are the exact arguments nmap gets, except the "-oX <file>" the
// library appends for the XML.
type Batch struct {
	Tier     riskmap.Tier
	Addrs    []netip.Addr
	Ports    PortList // TCP
	UDPPorts PortList
	Network  string
	Args     []string
	// MaxRate is the --max-rate this batch ran with and RateReason why (adaptive rate and the
	// network's cap).
	MaxRate    int
	RateReason string
	// Notes say what the profile asked for that this batch left out, and why.
	Notes []string

	cap      int // the network's packets-per-second cap, 0 for none
	priority float32
}

func family(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// ScopeError lists the plan addresses the scope guard refused. It wraps ErrOutOfScope.
type ScopeError struct{ Refusals []Refusal }

func (e *ScopeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scope guard refused %d plan address(es); nmap never saw them", len(e.Refusals))
	for i, r := range e.Refusals {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Refusals)-i)
			break
		}
		b.WriteString("; ")
		b.WriteString(r.String())
	}
	return b.String()
}

func (e *ScopeError) Unwrap() error { return ErrOutOfScope }

// Batches checks every address of plan against scope and groups the admitted ones into
// batches, highest priority first, of at most BatchHosts hosts sharing tier, family, network
// and ports. An address planned twice is scanned once, at the deeper tier. Args are filled in
// for the current rate; Run fills them again when each batch starts.
func (r *Runner) Batches(plan *Plan, scope Scope) ([]Batch, []Refusal, error) {
	if scope.Empty() {
		return nil, nil, ErrNoScope
	}
	if plan == nil {
		return nil, nil, fmt.Errorf("%w: no plan given", ErrBadPlan)
	}
	if err := plan.Validate(); err != nil {
		return nil, nil, err
	}
	order := make([]int, len(plan.Items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		pa, pb := plan.Items[a].Priority, plan.Items[b].Priority
		switch {
		case pa > pb:
			return -1
		case pa < pb:
			return 1
		}
		return 0
	})
	// Where an address is planned twice, the deeper tier wins; ties go to the higher priority.
	owner := map[netip.Addr]int{}
	for _, i := range order {
		it := &plan.Items[i]
		if it.Tier == riskmap.TierSkip {
			continue
		}
		for _, a := range it.IPs {
			a = a.Unmap()
			if j, ok := owner[a]; !ok || plan.Items[j].Tier < it.Tier {
				owner[a] = i
			}
		}
	}
	type key struct {
		tier       riskmap.Tier
		fam        int
		network    string
		ports, udp string
	}
	groups := map[key]*Batch{}
	var keys []key
	var refused []Refusal
	for _, i := range order {
		it := &plan.Items[i]
		if it.Tier == riskmap.TierSkip {
			continue
		}
		for _, a := range it.IPs {
			if err := scope.Check(a); err != nil {
				refused = append(refused, refuse(it.AssetID, a, err))
				continue
			}
			a = a.Unmap()
			if owner[a] != i {
				continue
			}
			owner[a] = -1 // once
			k := key{it.Tier, family(a), it.Network, it.Ports.String(), it.UDPPorts.String()}
			g := groups[k]
			if g == nil {
				g = &Batch{Tier: it.Tier, Ports: it.Ports, UDPPorts: it.UDPPorts, Network: it.Network, cap: it.MaxRate, priority: it.Priority}
				groups[k] = g
				keys = append(keys, k)
			}
			if it.MaxRate > 0 && (g.cap == 0 || it.MaxRate < g.cap) {
				g.cap = it.MaxRate
			}
			g.Addrs = append(g.Addrs, a)
		}
	}
	var out []Batch
	for _, k := range keys { // keys are in priority order of their first item
		g := groups[k]
		slices.SortFunc(g.Addrs, netip.Addr.Compare)
		for len(g.Addrs) > 0 {
			n := min(len(g.Addrs), r.cfg.BatchHosts)
			b := *g
			b.Addrs = g.Addrs[:n:n]
			g.Addrs = g.Addrs[n:]
			b.MaxRate, b.RateReason = r.rate.Next(b.Network, b.cap)
			if err := r.fillArgs(&b, scope); err != nil {
				return nil, nil, err
			}
			out = append(out, b)
		}
	}
	return out, refused, nil
}

// options builds b's nmap options through the library's typed options: -n always (nmap must
// never resolve a name, every target is an address the guard checked), -Pn unless host
// discovery is on (the plan's probe counts hold no discovery probes), and --exclude with the
// scope's exclusions as a second belt behind the guard.
func (r *Runner) options(b *Batch, scope Scope) []nmap.Option {
	b.Notes = nil
	opts := []nmap.Option{nmap.WithDisabledDNSResolution()}
	if !r.cfg.HostDiscovery {
		opts = append(opts, nmap.WithSkipHostDiscovery())
	}
	fam := 4
	if len(b.Addrs) > 0 {
		fam = family(b.Addrs[0])
	}
	if fam == 6 {
		opts = append(opts, nmap.WithIPv6Scanning())
	}
	pr := r.profiles.Profile(b.Tier)
	udp := b.UDPPorts
	if len(udp) > 0 && !r.privileged {
		b.Notes = append(b.Notes, "udp ports left out: nmap needs root for -sU")
		udp = nil
	}
	if len(udp) > 0 {
		opts = append(opts, nmap.WithSYNScan(), nmap.WithUDPScan())
	}
	switch pr.Version {
	case "light":
		opts = append(opts, nmap.WithServiceInfo(), nmap.WithVersionLight())
	case "normal":
		opts = append(opts, nmap.WithServiceInfo())
	case "all":
		opts = append(opts, nmap.WithServiceInfo(), nmap.WithVersionAll())
	}
	if pr.DefaultScripts {
		opts = append(opts, nmap.WithDefaultScript())
	}
	if len(pr.Scripts) > 0 {
		opts = append(opts, nmap.WithScripts(r.scripts(pr.Scripts)...))
	}
	if pr.OSDetection {
		if r.privileged {
			opts = append(opts, nmap.WithOSDetection())
		} else {
			b.Notes = append(b.Notes, "os detection left out: nmap needs root for -O")
		}
	}
	switch {
	case len(udp) > 0 && len(b.Ports) > 0:
		opts = append(opts, nmap.WithPorts("T:"+b.Ports.String(), "U:"+udp.String()))
	case len(udp) > 0:
		opts = append(opts, nmap.WithPorts("U:"+udp.String()))
	default:
		opts = append(opts, nmap.WithPorts(b.Ports.String()))
	}
	opts = append(opts,
		nmap.WithMaxRate(b.MaxRate),
		nmap.WithHostTimeout(r.cfg.HostTimeout),
		nmap.WithStatsEvery(nmapDuration(r.cfg.StatsEvery)))
	if r.cfg.MaxHostgroup > 0 {
		opts = append(opts, nmap.WithMaxHostgroup(r.cfg.MaxHostgroup))
	}
	if ex := scope.excludes(fam); len(ex) > 0 {
		opts = append(opts, nmap.WithTargetExclusions(ex...))
	}
	targets := make([]string, len(b.Addrs))
	for i, a := range b.Addrs {
		targets[i] = a.String()
	}
	return append(opts, nmap.WithTargets(targets...))
}

// fillArgs sets b.Args to what the library will run, read back from a scanner built with the
// same options, so that Args is never a second opinion of what nmap got.
func (r *Runner) fillArgs(b *Batch, scope Scope) error {
	if len(b.Ports)+len(b.UDPPorts) == 0 {
		return fmt.Errorf("%w: a %s batch with no ports", ErrBadPlan, b.Tier)
	}
	s, err := nmap.NewScanner(context.Background(), append(r.options(b, scope), nmap.WithBinaryPath(r.binary))...)
	if err != nil {
		return fmt.Errorf("nmap options: %w", err)
	}
	b.Args = slices.Clone(s.Args())
	return nil
}

// nmapDuration writes d the way nmap reads times: whole seconds as "2s", else milliseconds.
func nmapDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}
