package live_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"

	"github.com/riskmap/riskmap/features/inventory/live"
	"github.com/riskmap/riskmap/features/inventory/live/livetest"
)

func gcpSyncer(t testing.TB, srv *livetest.GCPServer, cfg live.Config) *live.Syncer {
	url, tr := serve(t, srv)
	cfg.Provider = "gcp"
	cfg.Projects = []string{srv.Project}
	cfg.Endpoint = url + "/compute/v1/"
	return &live.Syncer{Config: cfg, Transport: tr, Now: func() time.Time { return syncTime }, Credentials: live.Anonymous{}}
}

func gcpEstate(t testing.TB) *livetest.GCPServer {
	return livetest.NewGCPServer(t, "shop-prod-4711", testdata+"/gcp/instances-gcloud.json", testdata+"/gcp/firewall-rules-gcloud.json")
}

// The compute API read page by page through google.golang.org/api, and gcloud's export of
// the same project, give the same assets.
func TestGCPSyncMatchesCLIExport(t *testing.T) {
	srv := gcpEstate(t)
	res, err := gcpSyncer(t, srv, fastRetries(live.DefaultConfig("gcp"))).Sync(context.Background(), live.Ledger{})
	if err != nil {
		t.Fatal(err)
	}
	sameAssets(t, res.Assets, exportAssets(t, "gcp", "gcp/instances-gcloud.json", "gcp/firewall-rules-gcloud.json"))
	if srv.Paths["aggregated/instances"] != 3 || srv.Paths["global/firewalls"] != 16 {
		t.Errorf("pages read: %v", srv.Paths)
	}
	for _, n := range []string{"default", "prod-vpc"} {
		if srv.Paths["global/networks/"+n+"/getEffectiveFirewalls"] != 1 {
			t.Errorf("effective firewalls of network %s not read: %v", n, srv.Paths)
		}
	}
	if res.Total.Calls != srv.Requests {
		t.Errorf("counted %d calls, server saw %d", res.Total.Calls, srv.Requests)
	}
}

// HTTP 429 with Retry-After: riskmap waits at least that long, retries, counts the throttle
// and finishes.
func TestGCPSyncHonoursRetryAfter(t *testing.T) {
	srv := gcpEstate(t)
	srv.Throttle = func(n int) string {
		if n == 2 {
			return "1"
		}
		return ""
	}
	start := time.Now()
	res, err := gcpSyncer(t, srv, fastRetries(live.DefaultConfig("gcp"))).Sync(context.Background(), live.Ledger{})
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("the sync took %s: the Retry-After of 1s was not honoured", waited)
	}
	if res.Total.Throttles != 1 || srv.Throttled != 1 {
		t.Errorf("throttles counted %d, sent %d", res.Total.Throttles, srv.Throttled)
	}
	sameAssets(t, res.Assets, exportAssets(t, "gcp", "gcp/instances-gcloud.json", "gcp/firewall-rules-gcloud.json"))
}

// A hierarchical firewall policy read with networks.getEffectiveFirewalls is evaluated by the
// importer: its deny of RDP from the internet closes what the VPC rules open, on that
// network's instances only.
func TestGCPSyncEvaluatesFirewallPolicies(t *testing.T) {
	srv := gcpEstate(t)
	srv.Policies["default"] = []any{map[string]any{"name": "123456", "shortName": "org-baseline", "type": "HIERARCHY", "rules": []any{
		map[string]any{"priority": 1000, "direction": "INGRESS", "action": "deny",
			"match": map[string]any{"srcIpRanges": []any{"0.0.0.0/0"}, "layer4Configs": []any{map[string]any{"ipProtocol": "tcp", "ports": []any{"3389"}}}}},
		map[string]any{"priority": 2147483647, "direction": "INGRESS", "action": "goto_next",
			"match": map[string]any{"srcIpRanges": []any{"0.0.0.0/0"}, "layer4Configs": []any{map[string]any{"ipProtocol": "all"}}}},
	}}}
	res, err := gcpSyncer(t, srv, fastRetries(live.DefaultConfig("gcp"))).Sync(context.Background(), live.Ledger{})
	if err != nil {
		t.Fatal(err)
	}
	// What `gcloud compute networks get-effective-firewalls default --format=json` prints for
	// the same network: its VPC rules and the policy.
	var vpc []any
	for _, f := range srv.Firewalls {
		if strings.HasSuffix(f["network"].(string), "/networks/default") {
			vpc = append(vpc, f)
		}
	}
	b, _ := json.Marshal(map[string]any{"firewalls": vpc, "firewallPolicys": srv.Policies["default"]})
	eff := filepath.Join(t.TempDir(), "effective-default.json")
	if err := os.WriteFile(eff, b, 0o644); err != nil {
		t.Fatal(err)
	}
	want := exportAssets(t, "gcp", append([]string{"gcp/instances-gcloud.json", "gcp/firewall-rules-gcloud.json"}, relTo(t, []string{eff})...)...)
	sameAssets(t, res.Assets, want)
	rdp := riskmap.Exposure{Proto: "tcp", FromPort: 3389, ToPort: 3389, Source: "0.0.0.0/0"}
	for _, a := range res.Assets {
		onDefault := strings.HasSuffix(a.Network, "/networks/default")
		if onDefault && (slices.Contains(a.Exposed, rdp) || !slices.Contains(a.SecurityGroups, "org-baseline")) {
			t.Errorf("%s: the policy's deny of RDP was not applied: %v", a.ID, a.Exposed)
		}
	}
}
