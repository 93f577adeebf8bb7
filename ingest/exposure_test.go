package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/ingest"
)

// TestSecurityGroupValidationAtIngest checks both directions of the seed's security-group
// validation on an asset whose rules open 80 and 8443 to the internet: port 6379 seen open
// although no rule allows it (sg-bypass), and 8443 never listening across the recent scans
// (sg-unused-open).
func TestSecurityGroupValidationAtIngest(t *testing.T) {
	ctx := context.Background()
	s, _ := datasets.Open(t.TempDir(), nil)
	w, _ := s.Writer()
	defer w.Close()
	in := ingest.NewIngester(w)
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	in.Now = func() time.Time { return t0 }
	csv := "asset_id,provider,account,region,network,subnet,kind,state,image,group,private_ips,public_ips,dns_names,tags,launched_at,os_family,security_groups,exposed\n" +
		"web-1,csv,acct,eu,vpc-1,sub-1,vm,running,img,,127.0.0.2,203.0.113.7,,env=prod,2026-01-01T00:00:00Z,linux,sg-web,tcp:80:0.0.0.0/0;tcp:8443:0.0.0.0/0\n"
	if _, err := in.Inventory(ctx, "csv", []ingest.InventoryInput{{Name: "assets.csv", Data: []byte(csv)}}); err != nil {
		t.Fatal(err)
	}
	var last *ingest.Ingested
	for i := 0; i < 2; i++ {
		at := t0.Add(time.Duration(i+1) * time.Hour)
		obs := []riskmap.Observation{
			{IP: "127.0.0.2", Port: 80, Proto: "tcp", State: "open", Service: "http", ScanTime: at},
			{IP: "127.0.0.2", Port: 6379, Proto: "tcp", State: "open", Service: "redis", ScanTime: at},
		}
		host := riskmap.Host{IP: "127.0.0.2", Status: "up", ScanTime: at}
		id := []string{"s1", "s2"}[i]
		ing, err := in.Record(ctx, riskmap.Scan{ID: id, Started: at, Args: "nmap -n -p 80,6379,8443", Complete: true}, []riskmap.Host{host}, obs)
		if err != nil {
			t.Fatal(err)
		}
		last = ing
	}
	rules := map[string]riskmap.Finding{}
	for _, f := range last.Findings {
		rules[f.RuleID] = f
	}
	if f, ok := rules["sg-bypass"]; !ok || f.Port != 6379 || f.AssetID != "web-1" {
		t.Errorf("want sg-bypass on 6379 of web-1, got %+v", last.Findings)
	}
	if f, ok := rules["sg-unused-open"]; !ok || f.Port != 8443 {
		t.Errorf("want sg-unused-open on 8443, got %+v", last.Findings)
	}
}
