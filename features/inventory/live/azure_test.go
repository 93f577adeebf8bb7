package live_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/riskmap/riskmap/features/inventory/live"
	"github.com/riskmap/riskmap/features/inventory/live/livetest"
)

// staticToken is a token credential that hands out a fixed token, without a network.
type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "riskmap-test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

const azSub = "0b1f6471-1bf0-4dda-aec3-111122223333"

// azureEstate is the az export of testdata/azure, less the VMs whose NICs it does not
// hold (an ARM listing has every NIC), written to dir as the CLI files; and an ARM server
// of the same estate.
func azureEstate(t testing.TB) (*livetest.ARMServer, []string) {
	vms := livetest.ReadJSONList(t, testdata+"/azure/vm-list-d.json")
	nics := livetest.ReadJSONList(t, testdata+"/azure/nic-list.json")
	nsgs := livetest.ReadJSONList(t, testdata+"/azure/nsg-list.json")
	have := map[string]bool{}
	for _, n := range nics {
		have[strings.ToLower(n["id"].(string))] = true
	}
	var kept []map[string]any
	for _, vm := range vms {
		all := true
		for _, r := range vm["networkProfile"].(map[string]any)["networkInterfaces"].([]any) {
			all = all && have[strings.ToLower(r.(map[string]any)["id"].(string))]
		}
		if all {
			kept = append(kept, vm)
		}
	}
	if len(kept) < 2 {
		t.Fatalf("testdata has %d VMs whose NICs are all exported", len(kept))
	}
	dir := t.TempDir()
	b, _ := json.Marshal(kept)
	vmFile := filepath.Join(dir, "vm-list-d.json")
	if err := os.WriteFile(vmFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	abs := func(p string) string { a, _ := filepath.Abs(filepath.Join(testdata, p)); return a }
	return livetest.NewARMServer(azSub, kept, nics, nsgs), []string{vmFile, abs("azure/nic-list.json"), abs("azure/nsg-list.json")}
}

func azureSyncer(t testing.TB, srv *livetest.ARMServer, cfg live.Config) *live.Syncer {
	url, tr := serve(t, srv)
	srv.URL = url
	cfg.Provider = "azure"
	cfg.Subscriptions = []string{azSub}
	cfg.Endpoint = url
	return &live.Syncer{Config: cfg, Transport: tr, Now: func() time.Time { return syncTime }, Credentials: staticToken{}}
}

// VMs, NICs, public IPs and NSGs listed through the ARM SDK, two a page, give the assets
// that az's export of the same estate gives.
func TestAzureSyncMatchesCLIExport(t *testing.T) {
	srv, files := azureEstate(t)
	res, err := azureSyncer(t, srv, fastRetries(live.DefaultConfig("azure"))).Sync(context.Background(), live.Ledger{})
	if err != nil {
		t.Fatal(err)
	}
	sameAssets(t, res.Assets, exportAssets(t, "azure", relTo(t, files)...))
	for kind, n := range map[string]int{"Microsoft.Compute/virtualMachines": 1, "Microsoft.Network/networkInterfaces": 2,
		"Microsoft.Network/publicIPAddresses": 1, "Microsoft.Network/networkSecurityGroups": 3} {
		if srv.Paths[kind] != n {
			t.Errorf("%s: %d pages read, want %d", kind, srv.Paths[kind], n)
		}
	}
	if len(res.Assets) == 0 || res.Assets[0].State == "" || len(res.Assets[0].PrivateIPs) == 0 {
		t.Errorf("assets lack state or addresses: %+v", res.Assets)
	}
}

// ARM throttles with 429 and Retry-After: azcore's retry policy waits, riskmap counts.
func TestAzureSyncThrottled(t *testing.T) {
	srv, files := azureEstate(t)
	srv.Throttle = func(n int) string {
		if n == 3 {
			return "1"
		}
		return ""
	}
	start := time.Now()
	res, err := azureSyncer(t, srv, fastRetries(live.DefaultConfig("azure"))).Sync(context.Background(), live.Ledger{})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("sync took %s; the Retry-After of 1s was not honoured", took)
	}
	if res.Total.Throttles != 1 || res.Total.Calls != srv.Requests {
		t.Errorf("counted %+v, server saw %d requests", res.Total, srv.Requests)
	}
	sameAssets(t, res.Assets, exportAssets(t, "azure", relTo(t, files)...))
}

// relTo makes files relative to testdata for exportAssets, which joins them to it.
func relTo(t testing.TB, files []string) []string {
	base, _ := filepath.Abs(testdata)
	out := make([]string, len(files))
	for i, f := range files {
		r, err := filepath.Rel(base, f)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = r
	}
	return out
}
