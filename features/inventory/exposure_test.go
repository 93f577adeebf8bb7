package inventory_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
)

func ports(from, to int) []int {
	var out []int
	for p := from; p <= to; p++ {
		out = append(out, p)
	}
	return out
}

// TestExposure checks the rule semantics on the fixtures: what each asset must and must not
// be exposed to, and the ports it exposes to the internet.
func TestExposure(t *testing.T) {
	x := func(proto string, from, to int, src string) riskmap.Exposure {
		return riskmap.Exposure{Proto: proto, FromPort: from, ToPort: to, Source: src}
	}
	cases := []struct {
		name     string
		provider string
		id       string
		has      []riskmap.Exposure
		hasNot   []riskmap.Exposure
		internet []int
	}{
		{name: "aws group reference and ipv6 ranges", provider: "aws", id: "i-0a1b2c3d4e5f60001",
			has: []riskmap.Exposure{x("tcp", 80, 80, "::/0"), x("tcp", 443, 443, "0.0.0.0/0"),
				x("tcp", 22, 22, "198.51.100.7/32"), x("tcp", 8080, 8080, "sg-0a11c0ffee0000008")},
			internet: []int{80, 443}},
		{name: "aws group to group only", provider: "aws", id: "i-0a1b2c3d4e5f60002",
			has:      []riskmap.Exposure{x("tcp", 5432, 5432, "sg-0a11c0ffee0000001"), x("tcp", 22, 22, "sg-0a11c0ffee0000002")},
			internet: nil},
		{name: "aws protocol -1 and a wide range", provider: "aws", id: "i-0f9e8d7c6b5a40004",
			has: []riskmap.Exposure{x("all", 0, 65535, "203.0.113.0/24"), x("all", 0, 65535, "sg-0b22beef00000005"),
				x("tcp", 1000, 2100, "0.0.0.0/0"), x("udp", 0, 65535, "10.0.0.0/8")},
			internet: ports(9000, 9010)},
		{name: "aws numeric protocols, icmp, prefix list", provider: "aws", id: "i-0f9e8d7c6b5a40006",
			has: []riskmap.Exposure{x("esp", 0, 65535, "198.51.100.0/24"), x("icmp", 0, 65535, "::/0"),
				x("tcp", 443, 443, "pl-63a5400a"), x("tcp", 8000, 8100, "0.0.0.0/0")},
			internet: append([]int{53}, ports(8000, 8100)...)},
		{name: "aws group no file described keeps the rest", provider: "aws", id: "i-0f9e8d7c6b5a40005",
			internet: []int{80, 443}},

		{name: "azure nic nsg joined through the nsg's networkInterfaces", provider: "azure", id: "5a3e7b9c-1d2f-4e6a-8b0c-9d1e2f3a4b01",
			has:      []riskmap.Exposure{x("tcp", 8080, 8080, "*"), x("all", 0, 65535, "VirtualNetwork")},
			internet: []int{80, 443, 8080}},
		{name: "azure deny before allow, subnet and nic nsg intersected", provider: "azure", id: "5a3e7b9c-1d2f-4e6a-8b0c-9d1e2f3a4b02",
			has: []riskmap.Exposure{x("tcp", 3389, 3389, "Private"), x("tcp", 22, 22, "203.0.113.0/24"),
				x("tcp", 443, 443, "198.51.100.10")},
			hasNot:   []riskmap.Exposure{x("udp", 3389, 3389, "Internet"), x("tcp", 3389, 3389, "*")},
			internet: nil},
		{name: "azure two nics, port lists, destination prefixes", provider: "azure", id: "5a3e7b9c-1d2f-4e6a-8b0c-9d1e2f3a4b03",
			has:      []riskmap.Exposure{x("tcp", 6379, 6381, "Internet"), x("tcp", 22, 22, "10.0.0.0/8")},
			hasNot:   []riskmap.Exposure{x("tcp", 9999, 9999, "Internet")},
			internet: []int{80, 443, 6379, 6380, 6381}},

		{name: "gcp target tags, deny at higher priority and at equal priority", provider: "gcp", id: "4518329765012345671",
			has: []riskmap.Exposure{x("tcp", 8000, 8499, "35.191.0.0/16"), x("tcp", 9100, 9100, "130.211.0.0/22"),
				x("udp", 0, 65535, "10.128.0.0/9")},
			hasNot:   []riskmap.Exposure{x("tcp", 22, 22, "0.0.0.0/0"), x("tcp", 8500, 8600, "35.191.0.0/16")},
			internet: []int{80, 443, 3389}},
		{name: "gcp target service account, source tags and accounts", provider: "gcp", id: "7700112233445566001",
			has: []riskmap.Exposure{x("tcp", 5432, 5432, "tag:app"),
				x("tcp", 5432, 5432, "serviceAccount:app-sa@shop-prod-4711.iam.gserviceaccount.com"), x("tcp", 5432, 5432, "::/0")},
			hasNot:   []riskmap.Exposure{x("tcp", 6379, 6379, "0.0.0.0/0")},
			internet: []int{5432}},
		{name: "gcp disabled rule ignored", provider: "gcp", id: "7700112233445566002",
			hasNot:   []riskmap.Exposure{x("all", 0, 65535, "0.0.0.0/0")},
			internet: []int{3389}},
		{name: "gcp other project's network does not apply; all-ports not expanded", provider: "gcp", id: "9912000000000000003",
			has: []riskmap.Exposure{x("all", 0, 65535, "::/0"), x("tcp", 1024, 65535, "0.0.0.0/0"),
				x("esp", 0, 65535, "198.51.100.0/24")},
			hasNot:   []riskmap.Exposure{x("tcp", 80, 80, "0.0.0.0/0")},
			internet: nil},

		{name: "csv exactly 1024 ports are expanded", provider: "", id: "lab-all-open",
			has:      []riskmap.Exposure{x("all", 0, 65535, "0.0.0.0/0"), x("tcp", 1, 1024, "::/0")},
			internet: ports(1, 1024)},
	}
	imported := map[string][]riskmap.Asset{}
	for _, pc := range providerCases {
		imported[pc.name] = importFiles(t, pc.provider, pc.files).Assets
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set := tc.provider
			if set == "" {
				set = "csv"
			}
			i := slices.IndexFunc(imported[set], func(a riskmap.Asset) bool { return a.ID == tc.id })
			if i < 0 {
				t.Fatalf("asset %s not imported", tc.id)
			}
			a := imported[set][i]
			for _, e := range tc.has {
				if !slices.Contains(a.Exposed, e) {
					t.Errorf("missing exposure %+v; have %s", e, describe(a.Exposed))
				}
			}
			for _, e := range tc.hasNot {
				for _, got := range a.Exposed {
					if got.Source == e.Source && got.Proto == e.Proto && got.FromPort <= e.ToPort && e.FromPort <= got.ToPort {
						t.Errorf("exposure %+v overlaps %+v, which the rules deny", got, e)
					}
				}
			}
			if !slices.Equal(a.InternetExposedPorts, tc.internet) {
				t.Errorf("internet ports %v, want %v", a.InternetExposedPorts, tc.internet)
			}
		})
	}
}

func describe(ex []riskmap.Exposure) string {
	var parts []string
	for _, e := range ex {
		parts = append(parts, e.Proto+":"+strconv.Itoa(e.FromPort)+"-"+strconv.Itoa(e.ToPort)+":"+e.Source)
	}
	return strings.Join(parts, " ")
}
