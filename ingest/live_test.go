package ingest_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/inventory/live"
	"github.com/riskmap/riskmap/features/inventory/live/livetest"
	"github.com/riskmap/riskmap/ingest"
)

// An address that moves between two live syncs is joined, in each scan, to the asset that
// held it at the scan's time: the terminated instance before the move, the new holder
// after. An unchanged sync writes no snapshot.
func TestSyncedAddressJoinsHolderAtScanTime(t *testing.T) {
	ctx := context.Background()
	srv := livetest.NewEC2Server("us-east-1")
	srv.LoadCLI(t, "us-east-1", "../features/inventory/testdata/aws/describe-instances-v1.json")
	srv.LoadCLI(t, "us-east-1", "../features/inventory/testdata/aws/describe-security-groups.json")
	hs := httptest.NewServer(srv)
	defer hs.Close()
	s, err := datasets.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	in := ingest.NewIngester(w)
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	cfg := live.Config{Provider: "aws", Regions: []string{"us-east-1"}, Endpoint: hs.URL, MaxBackoff: 5 * time.Millisecond}
	syncAt := func(at time.Time) ingest.LiveSync {
		t.Helper()
		res, err := in.SyncInventory(ctx, &live.Syncer{Config: cfg, Now: func() time.Time { return at },
			Credentials: credentials.NewStaticCredentialsProvider("AKIDRISKMAPTEST", "secret", "")})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	scanAt := func(id string, at time.Time, ip string) string {
		t.Helper()
		host := riskmap.Host{IP: ip, Status: "up", ScanTime: at}
		obs := []riskmap.Observation{{IP: ip, Port: 443, Proto: "tcp", State: "open", Service: "https", ScanTime: at}}
		ing, err := in.Record(ctx, riskmap.Scan{ID: id, Started: at, Args: "nmap -n -p 443", Complete: true}, []riskmap.Host{host}, obs)
		if err != nil {
			t.Fatal(err)
		}
		return ing.Hosts[0].AssetID
	}

	if first := syncAt(t0); first.SnapshotID == "" {
		t.Fatal("first sync wrote no snapshot")
	}
	if again := syncAt(t0.Add(30 * time.Minute)); again.SnapshotID != "" || again.Changed {
		t.Errorf("unchanged sync wrote snapshot %q", again.SnapshotID)
	}
	srv.Edit(func(s *livetest.EC2Server) {
		r0 := s.Reservations["us-east-1"][0].(map[string]any)
		r0["Instances"] = r0["Instances"].([]any)[1:]
		moved := s.Reservations["us-east-1"][1].(map[string]any)["Instances"].([]any)[0].(map[string]any)
		moved["PublicIpAddress"] = "54.210.10.1"
	})
	second := syncAt(t0.Add(2 * time.Hour))
	if second.SnapshotID == "" || len(second.Changes.Moved) != 1 {
		t.Fatalf("second sync: snapshot %q, changes %+v", second.SnapshotID, second.Changes)
	}
	if got := scanAt("before", t0.Add(time.Hour), "54.210.10.1"); got != "i-0a1b2c3d4e5f60001" {
		t.Errorf("scan before the move joined %q, want the instance that held the address then", got)
	}
	if got := scanAt("after", t0.Add(3*time.Hour), "54.210.10.1"); got != "i-0a1b2c3d4e5f60003" {
		t.Errorf("scan after the move joined %q, want the new holder", got)
	}
}
