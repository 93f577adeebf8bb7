package live_test

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/inventory/live"
)

// An asset that goes and comes back is new again, keeps its first-seen time; a rules change
// is reported; the ledger survives a save and load.
func TestLedgerApply(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := riskmap.Asset{ID: "a", PrivateIPs: []string{"10.0.0.1"}, SecurityGroups: []string{"sg-1"}}
	b := riskmap.Asset{ID: "b", PrivateIPs: []string{"10.0.0.2"}}
	l1, ch := live.Ledger{Provider: "aws"}.Apply([]riskmap.Asset{a, b}, t0)
	if !reflect.DeepEqual(ch.New, []string{"a", "b"}) {
		t.Fatalf("first: %+v", ch)
	}
	l2, ch := l1.Apply([]riskmap.Asset{b}, t0.Add(time.Hour))
	if !reflect.DeepEqual(ch.Gone, []string{"a"}) || l2.Assets["a"].GoneAt == nil {
		t.Fatalf("second: %+v", ch)
	}
	a2 := a
	a2.Exposed = []riskmap.Exposure{{Proto: "tcp", FromPort: 22, ToPort: 22, Source: "0.0.0.0/0"}}
	b2 := b
	b2.Exposed = a2.Exposed
	l3, ch := l2.Apply([]riskmap.Asset{a2, b2}, t0.Add(2*time.Hour))
	if !reflect.DeepEqual(ch.New, []string{"a"}) || !reflect.DeepEqual(ch.RulesChanged, []string{"b"}) || len(ch.Gone) != 0 {
		t.Errorf("third: %+v", ch)
	}
	if e := l3.Assets["a"]; e.GoneAt != nil || !e.FirstSeen.Equal(t0) {
		t.Errorf("returned asset's entry: %+v", e)
	}
	path := filepath.Join(t.TempDir(), "sync", "aws.json")
	if err := l3.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := live.LoadLedger(path, "aws")
	if err != nil || back.Fingerprint != l3.Fingerprint || len(back.Assets) != 2 {
		t.Errorf("loaded %+v, %v", back, err)
	}
	if _, err := live.LoadLedger(path, "gcp"); err == nil {
		t.Error("a ledger of aws loaded as gcp's")
	}
	if l4, ch := back.Apply([]riskmap.Asset{a2, b2}, t0.Add(3*time.Hour)); !ch.Empty() || l4.Fingerprint != back.Fingerprint {
		t.Errorf("unchanged: %+v", ch)
	}
}
