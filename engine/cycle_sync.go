package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/riskmap/riskmap/features/inventory/live"
)

// syncInventory reads src's provider through its API at the start of a cycle. A sync that
// fails (its deadline passed, credentials were refused) is logged and the cycle goes on with
// the last snapshot: a stale estate is better than no cycle, and a partial listing is never
// written.
func (l *Loop) syncInventory(ctx context.Context, src InventorySource, start time.Time, log *slog.Logger) {
	cfg := *src.Sync
	cfg.Provider = src.Provider
	res, err := l.in.SyncInventory(ctx, &live.Syncer{Config: cfg, Now: func() time.Time { return start }})
	if err != nil {
		log.Warn("inventory sync failed; the cycle uses the last snapshot", "provider", src.Provider, "error", err,
			"api_calls", res.Total.Calls, "throttles", res.Total.Throttles)
		return
	}
	c := res.Changes
	log.Info("inventory sync", "provider", src.Provider, "assets", res.AssetCount, "changed", res.Changed,
		"snapshot", res.SnapshotID, "new", len(c.New), "gone", len(c.Gone), "readdressed", len(c.Readdressed),
		"rules_changed", len(c.RulesChanged), "moved", len(c.Moved),
		"api_calls", res.Total.Calls, "throttles", res.Total.Throttles, "elapsed", time.Duration(res.Elapsed))
	for _, w := range res.Warnings {
		log.Warn("inventory sync", "provider", src.Provider, "warning", w)
	}
}
