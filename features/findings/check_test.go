package findings_test

import (
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/findings"
)

func TestParseCheck(t *testing.T) {
	c, ok := findings.ParseCheck(riskmap.Script{ID: "riskmap-etcd-keys",
		Output: "\n  access: unauthenticated\n  check: POST /v3/kv/range (keys only)\n  version: 3.5.9\n  keys: 3\n  first: /registry/a, /registry/b"})
	if !ok || c.Access != findings.AccessUnauthenticated || c.Fields["keys"] != "3" || c.Fields["first"] != "/registry/a, /registry/b" {
		t.Fatalf("ParseCheck = %+v, %v", c, ok)
	}
	for _, out := range []string{
		"\n  Version: 7.0.15\n  Architecture: 64 bits", // redis-info: not a check
		"", "\n  access: maybe",
		"Anonymous FTP login allowed (FTP code 230)",
	} {
		if c, ok := findings.ParseCheck(riskmap.Script{ID: "x", Output: out}); ok {
			t.Errorf("ParseCheck(%q) = %+v, want false", out, c)
		}
	}
}

func FuzzParseCheck(f *testing.F) {
	f.Add("\n  access: auth-required\n  check: PING\n  answer: -NOAUTH Authentication required.")
	f.Add("\n  access: unauthenticated\n  pods: 2")
	f.Add("access: x")
	f.Fuzz(func(t *testing.T, out string) {
		c, ok := findings.ParseCheck(riskmap.Script{ID: "s", Output: out})
		if ok && c.Access != findings.AccessUnauthenticated && c.Access != findings.AccessAuthRequired {
			t.Fatalf("verdict %q accepted", c.Access)
		}
	})
}
