package scanner_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/nmapxml"
	"github.com/riskmap/riskmap/scanner"
)

// TestPlaceholderNeverATarget: the identities nmapxml gives hosts whose address is not an IP
// are refused by every path that turns an address into a scan target: target specs (and so
// `scan --targets` and the config's targets) and target exports.
func TestPlaceholderNeverATarget(t *testing.T) {
	raw, err := os.ReadFile("../features/nmapxml/testdata/realworld/nonip-hosts.xml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := nmapxml.Parse(raw, nmapxml.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range res.Hosts {
		if nmapxml.IsPlaceholder(h.IP) {
			ids = append(ids, h.IP)
		}
	}
	if len(ids) != 3 {
		t.Fatalf("placeholders %q, want 3", ids)
	}
	scope, err := scanner.ParseScope([]string{"0.0.0.0/0", "::/0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			if spec, err := scanner.ParseTarget(id); !errors.Is(err, scanner.ErrBadTarget) {
				t.Errorf("ParseTarget accepted it: %+v, %v", spec, err)
			}
			var buf bytes.Buffer
			refused, err := scanner.WriteTargets(&buf, scanner.FormatNmap, scope, []riskmap.Target{{AssetID: "a", IP: id}})
			if err != nil || len(refused) != 1 || !errors.Is(refused[0].Err, scanner.ErrBadTarget) || buf.Len() != 0 {
				t.Errorf("WriteTargets: refused %+v, err %v, wrote %q", refused, err, buf.String())
			}
		})
	}
}
