package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/features/inventory/live"
	"github.com/riskmap/riskmap/ingest"
)

func (m *Main) runInventory(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "sync" {
		return usageError("inventory: want `inventory sync --provider aws|azure|gcp`")
	}
	return m.runInventorySync(ctx, args[1:])
}

// runInventorySync reads one provider's estate through its API. Its settings come from the
// provider's `sync:` entry in riskmap.yaml, if any, and the flags, which win.
func (m *Main) runInventorySync(ctx context.Context, args []string) error {
	fs := m.flags("inventory sync", "--provider aws|azure|gcp [flags]",
		"Read the estate from the provider's API (read-only calls) and write a snapshot when it\n"+
			"changed. Credentials come from the provider's default chain (see README).")
	provider := fs.String("provider", "", "aws, azure or gcp")
	asJSON := fs.Bool("json", false, "print the summary as JSON (per provider and region/subscription/project)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	regions := fs.String("regions", "", "aws: comma-separated regions (default: every enabled region)")
	profile := fs.String("profile", "", "aws: shared config profile")
	role := fs.String("role-arn", "", "aws: role to assume")
	external := fs.String("external-id", "", "aws: external id for the role")
	subs := fs.String("subscriptions", "", "azure: comma-separated subscription ids")
	projects := fs.String("projects", "", "gcp: comma-separated project ids")
	endpoint := fs.String("endpoint", "", "API endpoint override")
	rate := fs.Float64("rate", 0, "requests a second per region/subscription/project (default 10)")
	burst := fs.Int("burst", 0, "requests at once (default 20, gcp 10)")
	attempts := fs.Int("max-attempts", 0, "attempts per request (default 8)")
	backoff := fs.Duration("max-backoff", 0, "longest wait between attempts (default 20s)")
	deadline := fs.Duration("deadline", 0, "time the whole sync may take (default 30m)")
	pageSize := fs.Int("page-size", 0, "items a page where the API takes a size")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch *provider {
	case "aws", "azure", "gcp":
	case "":
		return usageError("--provider is required (aws, azure or gcp)")
	default:
		return usageError("--provider %q: want aws, azure or gcp", *provider)
	}
	cfg, err := engine.LoadConfig(m.workspace)
	if err != nil {
		return err
	}
	sc := live.Config{}
	for _, src := range cfg.Inventory {
		if src.Provider == *provider && src.Sync != nil {
			sc = *src.Sync
			break
		}
	}
	sc.Provider = *provider
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["regions"] {
		sc.Regions = splitComma(*regions)
	}
	if set["profile"] {
		sc.Profile = *profile
	}
	if set["role-arn"] {
		sc.RoleARN = *role
	}
	if set["external-id"] {
		sc.ExternalID = *external
	}
	if set["subscriptions"] {
		sc.Subscriptions = splitComma(*subs)
	}
	if set["projects"] {
		sc.Projects = splitComma(*projects)
	}
	if set["endpoint"] {
		sc.Endpoint = *endpoint
	}
	if set["rate"] {
		sc.Rate = *rate
	}
	if set["burst"] {
		sc.Burst = *burst
	}
	if set["max-attempts"] {
		sc.MaxAttempts = *attempts
	}
	if set["max-backoff"] {
		sc.MaxBackoff = *backoff
	}
	if set["deadline"] {
		sc.Deadline = *deadline
	}
	if set["page-size"] {
		sc.PageSize = *pageSize
	}
	if err := sc.WithDefaults().Validate(); err != nil {
		return usageError("%v", err)
	}
	w, err := m.writer()
	if err != nil {
		return err
	}
	defer w.Close()
	s := &live.Syncer{Config: sc}
	if !*quiet {
		s.Progress = m.Stderr
	}
	res, err := ingest.NewIngester(w).SyncInventory(ctx, s)
	if *asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(m.Stdout, string(b))
	} else {
		printSync(m.Stdout, res)
	}
	for _, warn := range res.Warnings {
		fmt.Fprintf(m.Stderr, "warning: %s\n", warn)
	}
	return err
}

func printSync(w io.Writer, res ingest.LiveSync) {
	for _, sc := range res.Scopes {
		fmt.Fprintf(w, "%s %s: %d instances, %d other, %d rule sets, %d API calls, %d throttled, %s\n",
			res.Provider, sc.Scope, sc.Instances, sc.Other, sc.Rules, sc.Calls, sc.Throttles, time.Duration(sc.Elapsed).Round(time.Millisecond))
	}
	c := res.Changes
	switch {
	case res.Provider == "":
	case res.SnapshotID != "":
		fmt.Fprintf(w, "snapshot %s: %d assets; %d new, %d gone, %d re-addressed, %d rules changed, %d addresses moved\n",
			res.SnapshotID[:12], res.AssetCount, len(c.New), len(c.Gone), len(c.Readdressed), len(c.RulesChanged), len(c.Moved))
	case !res.Changed:
		fmt.Fprintf(w, "%d assets, unchanged since the last sync: no snapshot written\n", res.AssetCount)
	}
}
