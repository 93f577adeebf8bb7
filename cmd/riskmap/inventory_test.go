package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/features/inventory/live/livetest"
)

// `riskmap inventory sync` reads EC2 through the real SDK (credentials from the
// environment, the default chain's first link), writes a snapshot, writes none when nothing
// changed, and reports an instance that went away.
func TestInventorySyncAWS(t *testing.T) {
	srv := livetest.NewEC2Server("us-east-1")
	srv.LoadCLI(t, "us-east-1", invFixtures+"/aws/describe-instances-v1.json")
	srv.LoadCLI(t, "us-east-1", invFixtures+"/aws/describe-security-groups.json")
	srv.Throttle = func(n int) bool { return n == 2 }
	hs := httptest.NewServer(srv)
	defer hs.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDRISKMAPTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ws := t.TempDir()
	args := []string{"inventory", "sync", "--provider", "aws", "--endpoint", hs.URL, "--regions", "us-east-1", "--max-backoff", "5ms", "--json"}

	sync := func() map[string]any {
		t.Helper()
		code, out, errOut := run(t, ws, args...)
		if code != exitOK {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
		if !strings.Contains(errOut, "DescribeInstances page") {
			t.Errorf("no progress on stderr: %s", errOut)
		}
		var res map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("--json output: %v\n%s", err, out)
		}
		return res
	}
	first := sync()
	if first["snapshot_id"] == "" || first["assets"] != 3.0 || first["changed"] != true {
		t.Fatalf("first sync: %v", first)
	}
	total := first["total"].(map[string]any)
	if total["throttles"] != 1.0 || first["scopes"].([]any)[0].(map[string]any)["scope"] != "us-east-1" {
		t.Errorf("first sync's counts: %v", first)
	}
	second := sync()
	if second["changed"] != false || second["snapshot_id"] != nil {
		t.Errorf("unchanged estate wrote a snapshot: %v", second)
	}
	srv.Edit(func(s *livetest.EC2Server) {
		r0 := s.Reservations["us-east-1"][0].(map[string]any)
		r0["Instances"] = r0["Instances"].([]any)[1:]
	})
	third := sync()
	gone := third["changes"].(map[string]any)["gone"].([]any)
	if third["snapshot_id"] == nil || len(gone) != 1 || gone[0] != "i-0a1b2c3d4e5f60001" {
		t.Errorf("third sync: %v", third)
	}
	ledger, err := os.ReadFile(third["ledger"].(string))
	if err != nil || !strings.Contains(string(ledger), `"gone_at"`) {
		t.Errorf("ledger: %v %s", err, ledger)
	}
	// Two snapshots: 3 assets, then 2; the unchanged sync wrote none.
	code, out, _ := run(t, ws, "tables", "--json")
	var tables []struct {
		Table       string
		Rows, Files int
	}
	if err := json.Unmarshal([]byte(out), &tables); code != exitOK || err != nil {
		t.Fatalf("tables: %v %s", err, out)
	}
	for _, tb := range tables {
		if tb.Table == "assets" && (tb.Rows != 5 || tb.Files != 2) {
			t.Errorf("assets table: %d rows in %d files, want 5 in 2", tb.Rows, tb.Files)
		}
	}
}
