package riskmap_test

import (
	"reflect"
	"testing"

	"github.com/riskmap/riskmap"
)

// TestWideRanges checks which assets are wide-open and the ranges the sweep takes first on
// them: internet-open TCP (or all-protocol) ranges, merged; every port for an all-traffic
// rule; nothing without a public address or for narrow or private rules.
func TestWideRanges(t *testing.T) {
	inet := func(proto string, from, to int) riskmap.Exposure {
		return riskmap.Exposure{Proto: proto, FromPort: from, ToPort: to, Source: "0.0.0.0/0"}
	}
	for _, c := range []struct {
		name   string
		public bool
		rules  []riskmap.Exposure
		want   [][2]int
	}{
		{"all traffic", true, []riskmap.Exposure{inet("all", 0, 65535), inet("tcp", 22, 22)}, [][2]int{{1, 65535}}},
		{"two ranges merged, a narrow one kept", true, []riskmap.Exposure{inet("tcp", 31000, 40000), inet("tcp", 30000, 31000), inet("tcp", 443, 443), inet("udp", 1, 65535)}, [][2]int{{443, 443}, {30000, 40000}}},
		{"narrow rules only", true, []riskmap.Exposure{inet("tcp", 8000, 9000)}, nil},
		{"wide but private", true, []riskmap.Exposure{{Proto: "tcp", FromPort: 1, ToPort: 65535, Source: "10.0.0.0/8"}}, nil},
		{"no public address", false, []riskmap.Exposure{inet("all", 0, 65535)}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := riskmap.Asset{ID: "i-1", Exposed: c.rules}
			if c.public {
				a.PublicIPs = []string{"203.0.113.1"}
			}
			if got := a.WideRanges(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("WideRanges() = %v, want %v", got, c.want)
			}
			if a.WideOpen() != (c.want != nil) {
				t.Errorf("WideOpen() = %v with ranges %v", a.WideOpen(), c.want)
			}
		})
	}
}
