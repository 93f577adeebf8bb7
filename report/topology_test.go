package report_test

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/report"
)

// estate makes n assets over 2 VPCs, 4 subnets and 6 security groups; every 10th is open to
// the internet and every 20th has a critical finding.
func estate(n int) []report.MapAsset {
	var out []report.MapAsset
	for i := range n {
		a := riskmap.Asset{ID: fmt.Sprintf("i-%04d", i), Provider: "aws", Network: fmt.Sprintf("vpc-%d", i%2),
			Subnet: fmt.Sprintf("subnet-%d", i%4), SecurityGroups: []string{fmt.Sprintf("sg-%d", i%6)},
			PrivateIPs: []string{fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)}, Tags: []riskmap.Tag{{Key: "Name", Value: fmt.Sprintf("web-%d", i)}}}
		m := report.MapAsset{Asset: a}
		if i%10 == 0 {
			m.Asset.Exposed = []riskmap.Exposure{{Proto: "tcp", FromPort: 6379, ToPort: 6379, Source: "0.0.0.0/0"}}
		}
		if i%20 == 0 {
			m.Worst, m.Findings = riskmap.SeverityCritical, []string{"critical redis-unauthenticated 6379/tcp"}
		}
		out = append(out, m)
	}
	return out
}

// parse checks that svg is well-formed XML and counts elements by class.
func parse(t *testing.T, svg string) map[string]int {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	counts := map[string]int{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					for _, c := range strings.Fields(a.Value) {
						counts[se.Name.Local+"."+c]++
					}
				}
				if a.Name.Local == "href" || strings.Contains(a.Value, "url(") || strings.Contains(a.Value, "http://") && a.Name.Local != "xmlns" {
					t.Errorf("external reference: %s=%q", a.Name.Local, a.Value)
				}
			}
		}
	}
	return counts
}

func TestTopologySVG(t *testing.T) {
	svg := report.TopologySVG(estate(50), 0)
	c := parse(t, svg)
	// internet + 2 VPCs + 4 subnets + 6 groups (each VPC sees 3 of them) + 50 assets
	if got, want := c["g.node"], 1+2+4+6+50; got != want {
		t.Errorf("%d nodes, want %d", got, want)
	}
	if c["g.serious"] != 3 {
		t.Errorf("%d serious assets highlighted, want 3", c["g.serious"])
	}
	// 5 exposed assets: each has a red edge from its group, and its group one from the internet.
	if c["path.internet"] < 5+1 {
		t.Errorf("%d internet edges, want at least 6", c["path.internet"])
	}
	for _, want := range []string{"web-0 10.0.0.1", "i-0020 (web-20)", "critical redis-unauthenticated 6379/tcp", "tags Name=web-20"} {
		if !strings.Contains(svg, want) {
			t.Errorf("map lacks %q", want)
		}
	}
}

func TestTopologySVGSummarisesBeyondTheLimit(t *testing.T) {
	svg := report.TopologySVG(estate(1000), 200)
	c := parse(t, svg)
	assets := c["g.node"] - (1 + 2 + 4 + 6)
	// 100 exposed (every 10th) drawn one by one, the 900 quiet ones in one node per group of
	// each VPC/subnet (at most 4 subnets x 6 groups).
	if assets < 100 || assets > 100+24 {
		t.Errorf("%d asset nodes for 1000 assets, want the 100 exposed plus at most 24 summaries", assets)
	}
	if !strings.Contains(svg, "1000 assets: the 100 exposed") || !strings.Contains(svg, "quiet assets") {
		t.Error("the summary does not say what was folded")
	}
	if c["g.serious"] != 50 {
		t.Errorf("%d serious assets highlighted, want 50", c["g.serious"])
	}
}
