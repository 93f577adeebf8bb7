package estate_test

import (
	"testing"

	"github.com/riskmap/riskmap/datasets/estate"
)

// FuzzGenerate checks that any valid config yields an estate that keeps its promises for two
// epochs, and that New rejects the rest with an error, never a panic.
func FuzzGenerate(f *testing.F) {
	f.Add(int64(1), uint16(200), uint8(3), uint8(6))
	f.Add(int64(-7), uint16(1), uint8(1), uint8(1))
	f.Add(int64(99), uint16(700), uint8(2), uint8(2))
	f.Add(int64(5), uint16(0), uint8(0), uint8(0))
	f.Add(int64(8), uint16(5000), uint8(9), uint8(3))
	f.Fuzz(func(t *testing.T, seed int64, hosts uint16, accounts, vpcs uint8) {
		cfg := estate.DefaultConfig()
		cfg.Seed, cfg.Hosts, cfg.Accounts, cfg.VPCs = seed, int(hosts%2000), int(accounts%8), int(vpcs%16)
		e, err := estate.New(cfg)
		if err != nil {
			if cfg.Validate() == nil {
				t.Fatalf("New(%+v) = %v, but the config validates", cfg, err)
			}
			return
		}
		if len(e.Instances) != cfg.Hosts {
			t.Fatalf("%d instances, want %d", len(e.Instances), cfg.Hosts)
		}
		checkInvariants(t, e)
		checkInvariants(t, e.Advance().Advance())
	})
}
