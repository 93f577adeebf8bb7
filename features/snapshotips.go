package features

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/riskmap/riskmap/datasets"
)

// The snapshot's address index: the asset of each address, for rows joined by IP.

// loadIPs builds the address index, once, the first time a row without an asset_id needs
// it: most workspaces join at ingest, and then the index is never paid for.
func (snap *snapshot) loadIPs(ctx context.Context, s *datasets.Store, batchRows int) error {
	snap.ipOnce.Do(func() {
		ips := map[string]int32{}
		files := map[string]bool{}
		for _, f := range snap.files {
			files[f.Path] = true
		}
		cols := []string{"snapshot_time", "asset_id", "provider", "account", "private_ips", "public_ips"}
		_, snap.ipErr = tableRead{table: datasets.TableAssets, columns: cols, batchRows: batchRows, workers: 1,
			keep: func(f datasets.File) bool { return files[f.Path] }}.
			run(ctx, s, func(_ int, f datasets.File, rec arrow.RecordBatch) error {
				c, err := columns(rec, cols...)
				if err != nil {
					return fmt.Errorf("%s: %w", f.Path, err)
				}
				tc, err1 := newTimeCol(c[0])
				id, err2 := newStrCol(c[1])
				prov, err3 := newStrCol(c[2])
				acct, err4 := newStrCol(c[3])
				priv, err5 := newStrListCol(c[4])
				pub, err6 := newStrListCol(c[5])
				for _, err := range []error{err1, err2, err3, err4, err5, err6} {
					if err != nil {
						return fmt.Errorf("%s: %w", f.Path, err)
					}
				}
				for i := 0; i < int(rec.NumRows()); i++ {
					t, ok := tc.at(i)
					if !ok || snap.chosen[snapKey{prov.value(i), acct.value(i)}] != t {
						continue
					}
					a, ok := snap.index.lookup(id.value(i))
					if !ok {
						continue
					}
					for _, l := range []*strListCol{&priv, &pub} {
						s, e := l.span(i)
						for j := s; j < e; j++ {
							ip := l.v.value(j)
							if old, ok := ips[ip]; ok && old != a {
								ips[ip] = -1 // shared: joining by it would guess
								continue
							}
							ips[strings.Clone(ip)] = a
						}
					}
				}
				return nil
			})
		snap.ips = ips
	})
	return snap.ipErr
}

// ipsFromAssets builds the address index (loadIPs) from the kept assets instead of the
// assets files: every address of every chosen row, -1 when two assets share it.
func (snap *snapshot) ipsFromAssets() {
	snap.ipOnce.Do(func() {
		ips := map[string]int32{}
		for _, f := range snap.files {
			for i := range snap.assets[f.Path] {
				a := &snap.assets[f.Path][i]
				n, ok := snap.index.lookup(a.ID)
				if !ok {
					continue
				}
				for _, l := range [][]string{a.PrivateIPs, a.PublicIPs} {
					for _, ip := range l {
						if old, ok := ips[ip]; ok && old != n {
							ips[ip] = -1 // shared: joining by it would guess
							continue
						}
						ips[ip] = n
					}
				}
			}
		}
		snap.ips = ips
	})
}
