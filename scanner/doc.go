// Package scanner is where scores become scans: it decides which assets nmap scans, how
// deeply, with how many probes, and runs nmap on them without ever leaving the agreed scope.
//
// Data flows like this:
//
//	Candidate (asset + risk, anomaly, predicted ports, last scan, when each port was last
//	           probed, exposure width, known serious ports)
//	   │  NewPlan(now, candidates, PlannerConfig, *Profiles)       planner.go
//	   ▼
//	Plan (JSON: tier, ports, probes per asset; WritePlan / ReadPlan)  plan.go
//	   │  Runner.Run(ctx, plan, Scope, sink)                         runner.go
//	   │    Scope.Check on every address, then Batches               scope.go, batch.go
//	   │    nmap processes in parallel, AIMD --max-rate per network   nmaprun.go, rate.go
//	   ▼
//	Result (raw XML, handed to sink before anything parses it) ──> features/nmapxml
//
// Ranked targets go to other scanners through WriteTargets (export.go), also through the
// scope. Target specs from people (addresses, CIDRs, a.b.c.d-e ranges, host names) become
// addresses through ParseTargets and Scope.Resolve (target.go), which resolves each name once
// and checks every address it got.
//
// The scope guard is the package's first duty. No scope, no scan (ErrNoScope). Every address
// is checked against the allowed prefixes minus the excluded ones before nmap starts; nmap
// gets explicit addresses only, with -n, and the exclusions again with --exclude. CIDR and
// range expansion is bounded (Scope.MaxExpand).
//
// Tiers (riskmap.Tier) are configured by profiles (profile.go): light is the asset's
// predicted ports plus nmap's top 100; standard the top 1000 plus predicted ports with
// -sV --version-light; deep every TCP port with -sV -sC, OS detection and safe scripts.
// Standard and deep also run the access checks (checks.go, Checks): riskmap's own NSE scripts
// (scanner/nse, installed by Run under the runner's TempDir and passed to --script by path)
// and nmap's bundled ones; each runs only on its service's ports.
// The top-N lists are computed from nmap-services (services.go), so every probe count in a
// plan is exact; predicted ports are how riskmap sees the risky cloud ports the top 1000 leave
// out (6379, 11211, 27017, 2375, 10250, ...).
//
// No list names every port a service may listen on, so the planner also sweeps the port space
// (sweep.go): a share of every cycle's budget goes to the least recently probed blocks of each
// asset's 65,535 TCP ports (Candidate.Probed, kept as ranges by probed.go), likeliest ports
// first, wide-open assets (their exposed ranges: Candidate.WideRanges) on their own, faster
// rotation. The plan states the period N in which
// every in-scope (asset, port) is probed at least once (Sweep.Period), how its probes split
// (Plan.Split: predicted ports, re-checks, first looks, escalation, exploration, sweep), and Profiles.Explain
// says why each port of an item is in it (explain.go). Assets with known serious exposures are
// re-checked on a schedule (PlannerConfig.Recheck) before the greedy spends the rest.
// A wide-open asset's never-swept blocks go first (PlannerConfig.SweepWideFirst: up to 80% of the
// budget, after a first look at every asset), since no rule keeps any of its ports from the
// internet; a swept port is priced as a SYN probe, since nmap names services only on the ports
// it finds open. Beyond that, the budget goes by value, not by fixed shares: beyond the sweep's
// guaranteed shares (on which the stated periods rest), a wide-open asset's blocks (never swept,
// or swept before and aged by PlannerConfig.Fresh) compete with tier upgrades in the one greedy
// on expected serious findings per probe (Objective.SweepGain, PlannerConfig.WideUnlisted), and repeating a tier above light on an asset scanned at it
// recently counts only what may have changed since (PlannerConfig.Fresh).
//
// Config (config.go) gathers the scope, profiles, planner and runner settings as they appear
// in riskmap.yaml, each with documented defaults and a Validate that never clamps.
package scanner
