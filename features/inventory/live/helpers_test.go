package live_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/inventory"
	"github.com/riskmap/riskmap/features/inventory/live"
)

var syncTime = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

const testdata = "../testdata"

// serve starts h on a TLS test server (azcore refuses bearer tokens over plain HTTP) and
// returns its URL and a transport that trusts it.
func serve(t testing.TB, h http.Handler) (string, http.RoundTripper) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, srv.Client().Transport
}

// fastRetries keeps throttling tests quick: the SDKs' backoff is capped at a few ms.
func fastRetries(c live.Config) live.Config {
	c.MaxBackoff = 5 * time.Millisecond
	c.MaxAttempts = 10
	c.Rate = 1000
	c.Burst = 100
	c.Deadline = 30 * time.Second
	return c
}

// exportAssets runs the export importer over CLI files, as `riskmap ingest inventory` does.
func exportAssets(t testing.TB, provider string, files ...string) []riskmap.Asset {
	t.Helper()
	im := &inventory.Importer{Provider: provider, SnapshotTime: syncTime}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(testdata, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := im.Add(f, b); err != nil {
			t.Fatal(err)
		}
	}
	assets, _, err := im.Assets()
	if err != nil {
		t.Fatal(err)
	}
	return assets
}

func sameAssets(t testing.TB, got, want []riskmap.Asset) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d assets, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("asset %d differs:\n API: %+v\n CLI: %+v", i, got[i], want[i])
		}
	}
}

func ids(assets []riskmap.Asset) []string {
	out := make([]string, len(assets))
	for i, a := range assets {
		out[i] = a.ID
	}
	return out
}
