package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/riskmap/riskmap"
)

// Ledger is what the syncs of one provider have seen so far: every asset ever listed, when
// it was first and last seen, and when it went missing. An asset missing from a sync is
// marked gone, never forgotten; one that comes back is alive again. The ledger is a JSON
// file in the workspace (LoadLedger, Save).
type Ledger struct {
	Provider    string                 `json:"provider"`
	Fingerprint string                 `json:"fingerprint"` // of the last sync's assets
	SyncedAt    time.Time              `json:"synced_at"`
	Assets      map[string]LedgerEntry `json:"assets"`
}

// LedgerEntry is one asset's history.
type LedgerEntry struct {
	FirstSeen time.Time  `json:"first_seen"`
	LastSeen  time.Time  `json:"last_seen"`
	GoneAt    *time.Time `json:"gone_at,omitempty"` // set while the asset is missing
	IPs       []string   `json:"ips"`
	Rules     string     `json:"rules"` // fingerprint of its security groups and exposure
}

// Changes is what a sync found different from the ledger.
type Changes struct {
	New          []string    `json:"new"`           // assets never seen before, or back after being gone
	Gone         []string    `json:"gone"`          // assets listed last time and missing now
	Readdressed  []Readdress `json:"readdressed"`   // assets whose addresses changed
	RulesChanged []string    `json:"rules_changed"` // assets whose security groups or exposure changed
	Moved        []Move      `json:"moved"`         // addresses now held by another asset
}

// Readdress is an asset whose addresses changed.
type Readdress struct {
	Asset string   `json:"asset"`
	Old   []string `json:"old"`
	New   []string `json:"new"`
}

// Move is an address that passed from one asset to another between two syncs: from the new
// snapshot on, scans of it join to To.
type Move struct {
	IP   string `json:"ip"`
	From string `json:"from"`
	To   string `json:"to"`
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool {
	return len(c.New)+len(c.Gone)+len(c.Readdressed)+len(c.RulesChanged)+len(c.Moved) == 0
}

// Apply compares assets (the whole estate of the provider, as one sync found it at time at)
// with the ledger, and returns the ledger updated and what changed. l is not modified.
func (l Ledger) Apply(assets []riskmap.Asset, at time.Time) (Ledger, Changes) {
	next := Ledger{Provider: l.Provider, Fingerprint: Fingerprint(assets), SyncedAt: at.UTC(),
		Assets: make(map[string]LedgerEntry, len(assets))}
	var ch Changes
	prevHolder := map[string]string{}
	for id, e := range l.Assets {
		if e.GoneAt == nil {
			for _, ip := range e.IPs {
				prevHolder[ip] = id
			}
		}
	}
	seen := map[string]bool{}
	for i := range assets {
		a := &assets[i]
		seen[a.ID] = true
		ips := a.IPs()
		sort.Strings(ips)
		e := LedgerEntry{FirstSeen: at.UTC(), LastSeen: at.UTC(), IPs: ips, Rules: rulesFingerprint(a)}
		old, known := l.Assets[a.ID]
		switch {
		case !known || old.GoneAt != nil:
			ch.New = append(ch.New, a.ID)
			if known {
				e.FirstSeen = old.FirstSeen
			}
		default:
			e.FirstSeen = old.FirstSeen
			if !slices.Equal(old.IPs, ips) {
				ch.Readdressed = append(ch.Readdressed, Readdress{Asset: a.ID, Old: old.IPs, New: ips})
			}
			if old.Rules != e.Rules {
				ch.RulesChanged = append(ch.RulesChanged, a.ID)
			}
		}
		for _, ip := range ips {
			if from, ok := prevHolder[ip]; ok && from != a.ID {
				ch.Moved = append(ch.Moved, Move{IP: ip, From: from, To: a.ID})
			}
		}
		next.Assets[a.ID] = e
	}
	for id, e := range l.Assets {
		if seen[id] {
			continue
		}
		if e.GoneAt == nil {
			gone := at.UTC()
			e.GoneAt = &gone
			ch.Gone = append(ch.Gone, id)
		}
		next.Assets[id] = e
	}
	sort.Strings(ch.New)
	sort.Strings(ch.Gone)
	sort.Strings(ch.RulesChanged)
	sort.Slice(ch.Readdressed, func(i, j int) bool { return ch.Readdressed[i].Asset < ch.Readdressed[j].Asset })
	sort.Slice(ch.Moved, func(i, j int) bool { return ch.Moved[i].IP < ch.Moved[j].IP })
	return next, ch
}

// LoadLedger reads a ledger file; a file that does not exist is an empty ledger of provider.
func LoadLedger(path, provider string) (Ledger, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Ledger{Provider: provider, Assets: map[string]LedgerEntry{}}, nil
	}
	if err != nil {
		return Ledger{}, fmt.Errorf("sync ledger: %w", err)
	}
	var l Ledger
	if err := json.Unmarshal(b, &l); err != nil {
		return Ledger{}, fmt.Errorf("sync ledger %s: %w (delete it to start over: the next sync lists every asset as new)", path, err)
	}
	if l.Provider != provider {
		return Ledger{}, fmt.Errorf("sync ledger %s: provider is %q, want %q", path, l.Provider, provider)
	}
	if l.Assets == nil {
		l.Assets = map[string]LedgerEntry{}
	}
	return l, nil
}

// Save writes the ledger atomically (a temporary file renamed over path), so that a crash
// leaves the previous ledger or the new one, never half of one.
func (l Ledger) Save(path string) error {
	b, err := json.MarshalIndent(l, "", " ")
	if err != nil {
		return fmt.Errorf("sync ledger: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("sync ledger: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ledger-*")
	if err != nil {
		return fmt.Errorf("sync ledger: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("sync ledger %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync ledger %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sync ledger %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("sync ledger: %w", err)
	}
	return nil
}
