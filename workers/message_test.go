package workers_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/workers"
)

func validJob() workers.Job {
	return workers.Job{Version: workers.Version, ID: "c1.seg0.0", Cycle: "c1", Segment: "seg0", MaxDeliver: 3,
		Scope: scanner.ScopeConfig{Allow: []string{"127.10.0.0/16"}}, Created: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
		Items: []scanner.PlanItem{{AssetID: "i-1", IPs: []netip.Addr{netip.MustParseAddr("127.10.0.5")},
			Tier: riskmap.TierLight, Ports: scanner.PortList{22, 80}, Probes: 2}},
		Profiles: scanner.DefaultProfileConfig()}
}

func TestJobRoundTrip(t *testing.T) {
	j := validJob()
	data, err := workers.Encode(j)
	if err != nil {
		t.Fatal(err)
	}
	got, err := workers.DecodeJob(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != j.ID || got.Items[0].IPs[0] != j.Items[0].IPs[0] || !got.Created.Equal(j.Created) ||
		got.Profiles.Standard.Version != "light" || len(got.Profiles.Deep.Scripts) != len(j.Profiles.Deep.Scripts) {
		t.Errorf("round trip: got %+v, want %+v", got, j)
	}
}

func TestDecodeJobErrors(t *testing.T) {
	good, _ := workers.Encode(validJob())
	bare := validJob()
	bare.Profiles = scanner.ProfileConfig{} // a version 1 job's profiles: none
	noProfiles, _ := workers.Encode(bare)
	tests := []struct {
		name, data, want string
	}{
		{"version", strings.Replace(string(good), `"version":2`, `"version":1`, 1), "field version: 1, want 2"},
		{"unknown field", strings.Replace(string(good), `"cycle"`, `"cycel"`, 1), "unknown field"},
		{"trailing", string(good) + "{}", "unexpected data"},
		{"segment", strings.Replace(string(good), `"segment":"seg0"`, `"segment":"a.b"`, 1), "field segment"},
		{"no scope", strings.Replace(string(good), `"allow":["127.10.0.0/16"]`, `"allow":[]`, 1), "field scope.allow"},
		{"syntax", `{"version":`, "job at byte"},
		{"refused script", strings.Replace(string(good), `"scripts":null`, `"scripts":["exploit"]`, 1), "field profiles: "},
		{"no profiles", string(noProfiles), "field profiles: "},
		{"max deliver", strings.Replace(string(good), `"max_deliver":3`, `"max_deliver":0`, 1), "field max_deliver"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := workers.DecodeJob([]byte(tc.data))
			if !errors.Is(err, workers.ErrBadMessage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrBadMessage mentioning %q", err, tc.want)
			}
		})
	}
}

func TestDecodeResultOutcome(t *testing.T) {
	_, err := workers.DecodeResult([]byte(`{"version":2,"job_id":"x","outcome":"maybe"}`))
	if !errors.Is(err, workers.ErrBadMessage) || !strings.Contains(err.Error(), "outcome") {
		t.Errorf("error %v, want a bad outcome", err)
	}
}

func TestCheckSegment(t *testing.T) {
	for _, ok := range []string{"seg0", "vpc-0abc_1"} {
		if err := workers.CheckSegment(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a.b", "a*", "a>", "a b", strings.Repeat("x", 65)} {
		if err := workers.CheckSegment(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzDecodeJob checks that DecodeJob never panics, and that what it accepts encodes and
// decodes again to an accepted job.
func FuzzDecodeJob(f *testing.F) {
	good, _ := workers.Encode(validJob())
	f.Add(good)
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := workers.DecodeJob(data)
		if err != nil {
			return
		}
		again, err := workers.Encode(j)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := workers.DecodeJob(again); err != nil {
			t.Fatalf("re-encoded job refused: %v", err)
		}
	})
}
