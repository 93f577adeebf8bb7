package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/inventory"
)

// InventoryInput is one inventory file.
type InventoryInput struct {
	Name string
	Data []byte
}

// InventoryIngest is what one inventory file gave. Error is set when it was refused.
type InventoryIngest struct {
	File     string   `json:"file"`
	Shape    string   `json:"shape,omitempty"`
	Assets   int      `json:"assets"`
	Rules    int      `json:"rules"`
	Warnings []string `json:"warnings"`
	Error    string   `json:"error,omitempty"`
}

// InventorySnapshot is the result of one inventory import: the files, and the snapshot they
// made together.
type InventorySnapshot struct {
	Files      []InventoryIngest `json:"files"`
	SnapshotID string            `json:"snapshot_id"`
	Assets     int               `json:"assets"`
	Warnings   []string          `json:"warnings"`
	Already    bool              `json:"already_ingested"`
}

// Inventory imports the files of one provider as one snapshot of the estate (files go
// together: AWS instances need their security groups). The snapshot's id hashes the provider
// and every accepted file's content, so importing the same files again changes nothing. A
// refused file is reported and left out; the others are still imported.
func (in *Ingester) Inventory(ctx context.Context, provider string, inputs []InventoryInput) (InventorySnapshot, error) {
	snap := InventorySnapshot{}
	im := &inventory.Importer{Provider: provider, SnapshotTime: in.now().UTC()}
	var hashes []string
	for _, f := range inputs {
		fs, err := im.Add(f.Name, f.Data)
		r := InventoryIngest{File: f.Name, Shape: fs.Shape, Assets: fs.Assets, Rules: fs.Rules, Warnings: fs.Warnings}
		if err != nil {
			r.Error = err.Error()
		} else {
			sum := sha256.Sum256(f.Data)
			hashes = append(hashes, hex.EncodeToString(sum[:]))
		}
		snap.Files = append(snap.Files, r)
	}
	if len(hashes) == 0 {
		return snap, nil
	}
	sort.Strings(hashes)
	h := sha256.New()
	h.Write([]byte(provider))
	for _, x := range hashes {
		h.Write([]byte(x))
	}
	snap.SnapshotID = hex.EncodeToString(h.Sum(nil))[:32]
	assets, warnings, err := im.Assets()
	if err != nil {
		return snap, err
	}
	snap.Assets, snap.Warnings = len(assets), warnings
	have, err := in.W.Store().Has(datasets.TableAssets, snap.SnapshotID)
	if err != nil || have {
		snap.Already = have
		return snap, err
	}
	for _, f := range inputs {
		sum := sha256.Sum256(f.Data)
		if _, err := in.W.WriteRaw("inventory", hex.EncodeToString(sum[:])+".json", f.Data); err != nil {
			return snap, err
		}
	}
	if len(assets) == 0 {
		return snap, nil
	}
	rec := datasets.AssetsRecord(in.W.Store().Allocator(), assets)
	defer rec.Release()
	if err := in.W.WriteTable(datasets.TableAssets, datasets.DayPartition(im.SnapshotTime), snap.SnapshotID, rec); err != nil {
		return snap, err
	}
	if in.assets != nil {
		in.assets.add(assets) // the IP index sees the new snapshot without reading the table again
	}
	return snap, nil
}
