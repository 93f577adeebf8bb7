package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/features/nmapxml"
	"github.com/riskmap/riskmap/scanner"
)

// explorationRun is one strategy over the cycles: the share of serious exposures known after
// each cycle, the time to detect each drift event, and the packets it sent.
type explorationRun struct {
	Method  string    `json:"method"`
	Known   []float64 `json:"known_share"`   // after each cycle
	Packets []uint64  `json:"packets"`       // per cycle, on the namespace's lo
	Detect  []int     `json:"detect_cycles"` // per drift event, -1 if never
	// Lived is, per drift event, the cycles its exposure existed from the one it appeared in
	// (drift closes services too): a miss breaks a bound of N cycles only if it lived more.
	Lived  []int    `json:"lived_cycles"`
	Missed []string `json:"missed_at_last"` // serious exposures not known after the last cycle
	// FoundBy says, per drift event, what in riskmap's plan probed the port in the cycle that
	// found it: "sweep" (the port-space sweep), "prediction" (a tier's list or a predicted
	// port: a rule, a sibling, a wide-open peer), or "missed".
	FoundBy []string `json:"found_by,omitempty"`
}

// BenchmarkExploration is the port-space benchmark: a lab estate with the hard cases
// (Config.Unlisted: wide-open hosts with services on unlisted high ports, and ports opened by
// hand between epochs), a fixed per-cycle budget of 1% of a -p- sweep's probes, several cycles
// with drift between them. After each cycle it counts the serious exposures (ground truth)
// whose latest probe found them open, for riskmap (a fresh workspace, bundled models, no
// history: a new user) and for two uniform strategies at the same per-cycle budget: nmap
// --top-ports sized to the budget, and a rotating slice of -p- sized to the budget. Each drift
// event (a serious exposure new at an epoch) is timed: cycles from the one it became possible
// to the one that found it. It writes bench/out/exploration.json (exploration-novel.json with
// RISKMAP_BENCH_EXPLORE_NOVEL=1).
func BenchmarkExploration(b *testing.B) {
	netns.Require(b)
	ctx := context.Background()
	hosts := envInt("RISKMAP_BENCH_EXPLORE_HOSTS", 150)
	cycles := envInt("RISKMAP_BENCH_EXPLORE_CYCLES", 6)
	ecfg := estate.DefaultConfig()
	ecfg.Hosts, ecfg.Seed, ecfg.Unlisted = hosts, int64(envInt("RISKMAP_BENCH_EXPLORE_SEED", 1)), envInt("RISKMAP_BENCH_EXPLORE_UNLISTED", max(3, hosts/40))
	ecfg.NovelDrift = os.Getenv("RISKMAP_BENCH_EXPLORE_NOVEL") == "1" // drift on ports nothing predicts
	ecfg.Start = time.Now().UTC().Add(-time.Duration(cycles) * 24 * time.Hour).Truncate(time.Hour)
	epochs := []*estate.Estate{estate.Generate(ecfg)}
	for len(epochs) < cycles {
		epochs = append(epochs, epochs[len(epochs)-1].Advance())
	}
	serious := make([]map[string]bool, cycles)
	for c, e := range epochs {
		serious[c] = map[string]bool{}
		for _, x := range e.Serious() {
			serious[c][x.IP+"|"+strconv.Itoa(x.Port)] = true
		}
	}
	type event struct {
		key   string
		cycle int
	}
	var events []event
	eventCycles := func(evs []event) []int {
		out := make([]int, len(evs))
		for i, ev := range evs {
			out[i] = ev.cycle
		}
		return out
	}
	for c := 1; c < cycles; c++ {
		for k := range serious[c] {
			if !serious[c-1][k] {
				events = append(events, event{k, c})
			}
		}
	}
	sort.Slice(events, func(i, j int) bool {
		if events[i].cycle != events[j].cycle {
			return events[i].cycle < events[j].cycle
		}
		return events[i].key < events[j].key
	})
	ips := func(e *estate.Estate) []string {
		var out []string
		for _, in := range e.Instances {
			out = append(out, in.LabIP)
		}
		return out
	}
	budget := int(0.01 * float64(len(epochs[0].Instances)) * 65535)
	perHost := budget / len(epochs[0].Instances)

	// run plays one strategy over every epoch: scan(c) returns what the cycle probed (address
	// -> ports) and what it found open.
	// RISKMAP_BENCH_EXPLORE_ONLY=riskmap plays only the methods whose name starts with it (to
	// tune the planner without the uniform sweeps' minutes); the others are left out.
	only := os.Getenv("RISKMAP_BENCH_EXPLORE_ONLY")
	run := func(method string, scan func(c int, e *estate.Estate) (probed map[string]scanner.PortList, open map[string]bool)) explorationRun {
		if !strings.HasPrefix(method, only) {
			return explorationRun{Method: method}
		}
		lb, err := lab.Start(ctx, epochs[0])
		if err != nil {
			b.Fatal(err)
		}
		defer lb.Close()
		r := explorationRun{Method: method}
		state := map[string]bool{}
		found := map[string][]int{} // the cycles whose scans found the key open
		for c, e := range epochs {
			if c > 0 {
				if err := lb.Apply(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
			before, _ := netns.ReadCounters()
			probed, open := scan(c, e)
			after, _ := netns.ReadCounters()
			r.Packets = append(r.Packets, after["lo"].TxPackets-before["lo"].TxPackets)
			for ip, ports := range probed {
				for _, p := range ports {
					k := ip + "|" + strconv.Itoa(p)
					state[k] = open[k]
					if open[k] {
						found[k] = append(found[k], c)
					}
				}
			}
			known := 0
			for k := range serious[c] {
				if state[k] {
					known++
				}
			}
			r.Known = append(r.Known, share(known, len(serious[c])))
			if c == cycles-1 {
				for k := range serious[c] {
					if !state[k] {
						r.Missed = append(r.Missed, k)
					}
				}
				slices.Sort(r.Missed)
			}
		}
		for _, ev := range events {
			d := -1
			for _, at := range found[ev.key] {
				if at >= ev.cycle {
					d = at - ev.cycle
					break
				}
			}
			r.Detect = append(r.Detect, d)
			lived := 0
			for c := ev.cycle; c < cycles && serious[c][ev.key]; c++ {
				lived++
			}
			r.Lived = append(r.Lived, lived)
		}
		return r
	}

	nmapScan := func(b *testing.B, args []string, targets []string) map[string]bool {
		out := filepath.Join(b.TempDir(), "sweep.xml")
		full := append([]string{"-n", "-Pn", "-sV", "--version-light", "--max-rate", "20000", "-oX", out}, args...)
		full = append(full, targets...)
		if msg, err := exec.Command("nmap", full...).CombinedOutput(); err != nil {
			b.Fatalf("nmap %v: %v %s", args, err, msg)
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			b.Fatal(err)
		}
		res, err := nmapxml.Parse(raw, nmapxml.Options{Source: out})
		if err != nil {
			b.Fatal(err)
		}
		open := map[string]bool{}
		for _, o := range res.Observations {
			if o.Open() {
				open[o.IP+"|"+strconv.Itoa(o.Port)] = true
			}
		}
		return open
	}

	var runs []explorationRun
	var period, widePeriod int
	var wideProbes, wideWon, wideFirst, wideCycles []int // per cycle, from riskmap's plans
	wideAssets := 0
	for i := 0; i < b.N; i++ {
		wideProbes, wideWon, wideFirst, wideCycles = wideProbes[:0], wideWon[:0], wideFirst[:0], wideCycles[:0]
		runs = runs[:0]
		// riskmap: one workspace across the cycles.
		dir := b.TempDir()
		s, _ := datasets.Open(dir, nil)
		w, err := s.Writer()
		if err != nil {
			b.Fatal(err)
		}
		inv := filepath.Join(dir, "inventory")
		cfg := engine.DefaultConfig()
		cfg.Scope.Allow = []string{"127.0.0.0/8"}
		cfg.Inventory = []engine.InventorySource{{Provider: "aws", Paths: []string{inv}}}
		cfg.Planner.Budget = budget
		cfg.Planner.MinRescan = nil
		cfg.Planner.QuietHours = nil
		cfg.Schedule.RetrainEvery = 0
		cfg.Runner = scanner.LabRunner(cfg.Runner)
		cfg.Alerts.JSONL = ""
		loop := &engine.Loop{W: w, Config: cfg, Log: quiet}
		var plans []*scanner.Plan
		runs = append(runs, run("riskmap", func(c int, e *estate.Estate) (map[string]scanner.PortList, map[string]bool) {
			os.MkdirAll(inv, 0o755)
			fi, _ := os.Create(filepath.Join(inv, "describe-instances.json"))
			fs, _ := os.Create(filepath.Join(inv, "describe-security-groups.json"))
			e.WriteAWS(fi, fs)
			fi.Close()
			fs.Close()
			rep, err := loop.Cycle(ctx)
			if err != nil {
				b.Fatalf("riskmap cycle %d: %v", c+1, err)
			}
			plans = append(plans, rep.Plan)
			if sw := rep.Plan.Sweep; sw != nil {
				wideProbes, wideWon, wideCycles = append(wideProbes, sw.WideProbes), append(wideWon, sw.WideWon), append(wideCycles, sw.WideCycles)
				wideFirst = append(wideFirst, sw.WideFirst)
				b.Logf("riskmap cycle %d: split %s; sweep %+v", c+1, rep.Plan.Split, *sw)
			}
			probed := map[string]scanner.PortList{}
			for _, it := range rep.Plan.Items {
				for _, ip := range it.IPs {
					probed[ip.String()] = it.Ports
				}
			}
			obs, err := datasets.ReadAll(ctx, s, datasets.TableObservations, nil, datasets.DecodeObservations)
			if err != nil {
				b.Fatal(err)
			}
			open := map[string]bool{}
			for _, o := range obs {
				if o.Open() && !o.ScanTime.Before(rep.Metrics.Started.Add(-time.Second)) {
					open[o.IP+"|"+strconv.Itoa(o.Port)] = true
				}
			}
			return probed, open
		}))
		w.Close()
		if r := &runs[0]; len(r.Known) > 0 {
			for i, ev := range events {
				how := "missed"
				if d := r.Detect[i]; d >= 0 {
					how = foundBy(plans[ev.cycle+d], ev.key)
				}
				r.FoundBy = append(r.FoundBy, how)
			}
		}
		topList, err := scanner.TopPorts(perHost)
		if err != nil {
			b.Fatal(err)
		}
		top := scanner.PortList(topList)
		runs = append(runs, run(fmt.Sprintf("nmap -sV --top-ports %d", perHost), func(c int, e *estate.Estate) (map[string]scanner.PortList, map[string]bool) {
			targets := ips(e)
			probed := map[string]scanner.PortList{}
			for _, ip := range targets {
				probed[ip] = top
			}
			return probed, nmapScan(b, []string{"-p", top.String()}, targets)
		}))
		runs = append(runs, run(fmt.Sprintf("nmap -sV rotating slice of -p- (%d ports a cycle)", perHost), func(c int, e *estate.Estate) (map[string]scanner.PortList, map[string]bool) {
			lo := (c*perHost)%65535 + 1
			hi := min(lo+perHost-1, 65535)
			var slice scanner.PortList
			for p := lo; p <= hi; p++ {
				slice = append(slice, p)
			}
			targets := ips(e)
			probed := map[string]scanner.PortList{}
			for _, ip := range targets {
				probed[ip] = slice
			}
			return probed, nmapScan(b, []string{"-p", slice.String()}, targets)
		}))
		if len(plans) > 0 && plans[0].Sweep != nil {
			period, widePeriod, wideAssets = plans[0].Sweep.Period, plans[0].Sweep.WidePeriod, plans[0].Sweep.WideAssets
			b.ReportMetric(float64(period), "sweep_period_cycles")
			b.ReportMetric(float64(widePeriod), "sweep_wide_period_cycles")
		}
	}
	runs = slices.DeleteFunc(runs, func(r explorationRun) bool { return len(r.Known) == 0 })
	metric := b.ReportMetric
	metric(float64(len(events)), "drift_events")
	metric(float64(budget), "budget_probes")
	for _, r := range runs {
		key := sanitize(r.Method)
		if len(r.Known) >= 3 {
			metric(r.Known[2], key+"_known_after_c3")
		}
		metric(r.Known[len(r.Known)-1], key+"_known_last")
		var pk uint64
		for _, p := range r.Packets {
			pk += p
		}
		metric(float64(pk)/float64(len(r.Packets)), key+"_packets_per_cycle")
		med, mx, miss := detectStats(r.Detect)
		metric(med, key+"_ttd_median")
		metric(mx, key+"_ttd_max")
		metric(float64(miss), key+"_ttd_missed")
	}
	out := map[string]any{"hosts": len(epochs[0].Instances), "cycles": cycles, "budget_probes": budget,
		"ports_per_host": perHost, "drift_events": len(events), "drift_event_cycles": eventCycles(events), "unlisted": ecfg.Unlisted, "novel_drift": ecfg.NovelDrift, "runs": runs,
		"sweep_period": period, "sweep_wide_period": widePeriod,
		"sweep_wide_probes": wideProbes, "sweep_wide_won": wideWon, "sweep_wide_first": wideFirst, "sweep_wide_cycles_at_spend": wideCycles,
		"physical_wide_cycles": physicalWideCycles(epochs[0], budget), "wide_assets": wideAssets, "all_traffic_hosts": allTraffic(epochs[0]), "seed": ecfg.Seed}
	if dir := benchOut(); dir != "" {
		j, _ := json.MarshalIndent(out, "", "  ")
		name := "exploration.json"
		if ecfg.NovelDrift {
			name = "exploration-novel.json"
		}
		os.WriteFile(filepath.Join(dir, name), j, 0o644)
	}
}

// foundBy says what in plan probed key (address|port): its item's sweep, or its tier's list
// and predicted ports.
func foundBy(plan *scanner.Plan, key string) string {
	ip, port, _ := strings.Cut(key, "|")
	p, _ := strconv.Atoi(port)
	for _, it := range plan.Items {
		for _, a := range it.IPs {
			if a.String() != ip {
				continue
			}
			if slices.Contains(it.Swept, p) {
				return "sweep"
			}
			if slices.Contains(it.Ports, p) {
				return "prediction"
			}
		}
	}
	return "not in the plan"
}

// physicalWideCycles is the fewest cycles in which the whole budget could sweep the full TCP
// range of every all-traffic host of e once, at one probe a port.
func physicalWideCycles(e *estate.Estate, budget int) int {
	return (allTraffic(e)*65535 + budget - 1) / budget
}

// allTraffic counts e's public hosts behind a group that allows all traffic from anywhere.
func allTraffic(e *estate.Estate) int {
	open := map[string]bool{}
	for _, sg := range e.SecurityGroups {
		for _, r := range sg.Ingress {
			if r.Proto == "all" && r.Source == "0.0.0.0/0" {
				open[sg.ID] = true
			}
		}
	}
	wide := 0
	for _, in := range e.Instances {
		if in.PublicIP != "" && slices.ContainsFunc(in.SecurityGroups, func(id string) bool { return open[id] }) {
			wide++
		}
	}
	return wide
}

// detectStats is the median and max time to detect of the events found, and how many were
// never found.
func detectStats(d []int) (median, maxv float64, missed int) {
	var got []int
	for _, x := range d {
		if x < 0 {
			missed++
			continue
		}
		got = append(got, x)
	}
	if len(got) == 0 {
		return -1, -1, missed
	}
	slices.Sort(got)
	return float64(got[len(got)/2]), float64(got[len(got)-1]), missed
}
