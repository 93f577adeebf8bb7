package findings_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/findings"
)

type exposureCase struct {
	Asset  *riskmap.Asset
	Recent [][]riskmap.Observation
}

func loadExposureCase(t *testing.T, name string) exposureCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "exposure", name))
	if err != nil {
		t.Fatal(err)
	}
	var c exposureCase
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

func TestValidateExposure(t *testing.T) {
	tests := []struct {
		file     string
		want     []string // "rule port proto"
		evidence []string // substrings of the evidence, in finding order
	}{
		// 6379 is open although only 22 and 443 are allowed: a bypass or a stale inventory.
		// 8443 is closed and 9200 belongs to another address: neither counts. 5000 was open in
		// an older scan only: the newest scan is the state that matters.
		{"bypass.json", []string{"sg-bypass 6379 tcp"}, []string{
			"6379/tcp open (redis Redis key-value store 7.0.11) on 203.0.113.20 in scan scan-b-2, but no security rule of asset i-0bypass00000001 allows tcp 6379 from any source (its rules allow only: tcp 22 from 0.0.0.0/0; tcp 443 from 0.0.0.0/0): a rule bypass or a stale inventory"}},
		// 8080 (twice, v4 and v6) and 9000-9100 are open to the internet, but nothing listened in
		// the three scans that saw the asset. 22 and udp 53 did listen; 5432 is not an internet rule.
		{"unused.json", []string{"sg-unused-open 0 tcp", "sg-unused-open 8080 tcp", "sg-unused-open 8080 tcp"}, []string{
			"security rule tcp 9000-9100 from 0.0.0.0/0 of asset i-0unused00000001 opens 9000-9100/tcp to the internet, but nothing listened there in the last 3 scans (scan-u-3, scan-u-2, scan-u-1): tighten or remove the rule",
			"security rule tcp 8080 from 0.0.0.0/0 of asset i-0unused00000001 opens 8080/tcp to the internet",
			"security rule tcp 8080 from ::/0"}},
		// 8081 is open and allowed by the security-group reference; 80 and 443 both listened.
		{"clean.json", nil, nil},
		{"unseen.json", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			c := loadExposureCase(t, tc.file)
			got := findings.ValidateExposure(c.Asset, c.Recent)
			var s []string
			for _, f := range got {
				s = append(s, strings.Join([]string{f.RuleID, itoa(f.Port), f.Proto}, " "))
				if f.AssetID != c.Asset.ID || f.ScanID == "" || f.Title == "" {
					t.Errorf("finding %+v lacks asset, scan or title", f)
				}
			}
			if !reflect.DeepEqual(s, tc.want) {
				t.Errorf("got %q, want %q", s, tc.want)
			}
			for i, w := range tc.evidence {
				if i >= len(got) || !strings.Contains(got[i].Evidence, w) {
					t.Errorf("finding %d evidence lacks %q", i, w)
				}
			}
			golden(t, filepath.Join("testdata", "golden", "exposure_"+strings.TrimSuffix(tc.file, ".json")+".golden.json"), got)
		})
	}
}

func TestValidateExposureNil(t *testing.T) {
	if got := findings.ValidateExposure(nil, [][]riskmap.Observation{{}}); got != nil {
		t.Errorf("nil asset: %v", got)
	}
	if got := findings.ValidateExposure(&riskmap.Asset{ID: "a"}, nil); got != nil {
		t.Errorf("no scans: %v", got)
	}
}
