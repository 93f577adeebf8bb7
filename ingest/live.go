package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/inventory/live"
)

// LiveSync is what one provider's live sync did to the workspace.
type LiveSync struct {
	live.Result
	SnapshotID string `json:"snapshot_id,omitempty"` // "" when nothing changed
	Ledger     string `json:"ledger,omitempty"`      // the ledger file
}

// LedgerPath is where the workspace keeps the ledger of one sync configuration: one per
// provider and scope (profile, role, regions, subscriptions, projects, endpoint), so that two
// accounts of one provider synced separately never mark each other's assets gone.
func LedgerPath(s *datasets.Store, c live.Config) string {
	h := sha256.New()
	for _, part := range [][]string{{c.Profile, c.RoleARN, c.Endpoint}, c.Regions, c.Subscriptions, c.Projects} {
		h.Write([]byte(strings.Join(part, ",") + "\x00"))
	}
	return filepath.Join(s.Dir, "sync", c.Provider+"-"+hex.EncodeToString(h.Sum(nil))[:12]+".json")
}

// SyncInventory runs one provider's live sync against the workspace's ledger and, when the
// estate changed, writes the API's documents (raw/inventory) and one assets snapshot, then
// the new ledger. An unchanged estate writes nothing but the ledger's last-seen times. The
// snapshot's id hashes the provider, the fingerprint and the sync time, so an estate that
// returns to an earlier state still gets a snapshot of its own.
func (in *Ingester) SyncInventory(ctx context.Context, s *live.Syncer) (LiveSync, error) {
	path := LedgerPath(in.W.Store(), s.Config)
	prev, err := live.LoadLedger(path, s.Config.Provider)
	if err != nil {
		return LiveSync{}, err
	}
	res, err := s.Sync(ctx, prev)
	out := LiveSync{Result: res, Ledger: path}
	if err != nil {
		return out, err
	}
	if res.Changed && len(res.Assets) > 0 {
		for _, d := range res.Docs {
			sum := sha256.Sum256(d.Data)
			if _, err := in.W.WriteRaw("inventory", hex.EncodeToString(sum[:])+".json", d.Data); err != nil {
				return out, fmt.Errorf("inventory sync %s: %s: %w", res.Provider, d.Name, err)
			}
		}
		h := sha256.Sum256([]byte(res.Provider + "\x00" + res.Fingerprint + "\x00" + res.Started.Format(time.RFC3339Nano)))
		id := hex.EncodeToString(h[:])[:32]
		rec := datasets.AssetsRecord(in.W.Store().Allocator(), res.Assets)
		err := in.W.WriteTable(datasets.TableAssets, datasets.DayPartition(res.Started), id, rec)
		rec.Release()
		if err != nil {
			return out, fmt.Errorf("inventory sync %s: %w", res.Provider, err)
		}
		out.SnapshotID = id
		in.assets = nil // the IP index must see the new snapshot
	}
	if res.Changed && len(res.Assets) == 0 {
		// The assets table has no row to say "this account is empty now", so the last
		// snapshot stays the estate; say so rather than pretend.
		out.Warnings = append(out.Warnings, fmt.Sprintf(
			"%s: the sync listed no assets (%d gone); no snapshot was written, so the last one still describes the estate",
			res.Provider, len(res.Changes.Gone)))
	}
	if err := res.Ledger.Save(path); err != nil {
		return out, err
	}
	return out, nil
}
