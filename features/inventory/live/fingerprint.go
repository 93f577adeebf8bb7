package live

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"

	"github.com/riskmap/riskmap"
)

// Fingerprint hashes what a sync found: every asset as the importer made it, without its
// snapshot time, in id order. Two syncs of an unchanged estate have the same fingerprint
// whatever order the API listed things in, and whatever the responses held that riskmap does
// not keep (request ids, etags, timestamps of unrelated state).
func Fingerprint(assets []riskmap.Asset) string {
	sorted := make([]riskmap.Asset, len(assets))
	copy(sorted, assets)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, a := range sorted {
		a.SnapshotTime = time.Time{}
		_ = enc.Encode(a) // a hash.Hash never fails a write, and an Asset always encodes
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// rulesFingerprint hashes an asset's exposure: what its rules let in.
func rulesFingerprint(a *riskmap.Asset) string {
	h := sha256.New()
	_ = json.NewEncoder(h).Encode(struct {
		G []string
		E []riskmap.Exposure
	}{a.SecurityGroups, a.Exposed})
	return hex.EncodeToString(h.Sum(nil))[:16]
}
