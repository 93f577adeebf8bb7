package report

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"

	"github.com/riskmap/riskmap"
)

// MapAsset is one asset as the topology map draws it: where it sits (its Asset's network,
// subnet and security groups), its worst finding and a line per finding for the tooltip.
type MapAsset struct {
	Asset    riskmap.Asset
	Worst    riskmap.Severity // meaningful when Findings is not empty
	Findings []string         // "critical redis-exposed 6379/tcp", shown on hover
}

// serious reports whether a has a high or critical finding.
func (a *MapAsset) serious() bool { return len(a.Findings) > 0 && a.Worst.Serious() }

// internet reports whether some rule of a opens a port to the internet.
func (a *MapAsset) internet() bool {
	if len(a.Asset.InternetExposedPorts) > 0 {
		return true
	}
	for _, e := range a.Asset.Exposed {
		if e.Internet() {
			return true
		}
	}
	return false
}

// TopologyLimit is the most assets the map draws one by one; beyond it, the quiet assets
// (no internet exposure, no serious finding) of each security group are drawn as one summary
// node, so that the map stays readable.
const TopologyLimit = 200

// TopologySVG draws the estate as a layered graph, left to right: the internet, VPCs,
// subnets, security groups, assets. An edge from the internet to a security group, and from
// the group to an asset, is red when the asset's rules open a port to the internet; an asset
// with a high or critical finding is filled by its worst severity and outlined. Every node
// carries a tooltip (its id, name, addresses, tags, findings). With more than limit assets
// (0 means TopologyLimit), quiet assets are summarised per security group. The SVG is
// self-contained: no script, no font, no external reference.
func TopologySVG(assets []MapAsset, limit int) string {
	if limit <= 0 {
		limit = TopologyLimit
	}
	g := layout(assets, limit)
	return g.svg()
}

type node struct {
	id, label, tip string
	col            int
	y              float64
	fill, stroke   string
	bold           bool
	class          string // extra class: "serious" for an asset with a serious finding
}

type edge struct {
	from, to int
	internet bool
}

type graph struct {
	nodes   []node
	edges   []edge
	height  float64
	summary string
}

const (
	rowH    = 15.0
	colW    = 190.0
	padTop  = 40.0
	padLeft = 10.0
	nodeW   = 170.0
)

var severityFill = map[riskmap.Severity]string{
	riskmap.SeverityCritical: "#c0392b", riskmap.SeverityHigh: "#e67e22", riskmap.SeverityMedium: "#f1c40f",
	riskmap.SeverityLow: "#95a5a6", riskmap.SeverityInfo: "#bdc3c7",
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

func layout(assets []MapAsset, limit int) *graph {
	g := &graph{}
	list := slices.Clone(assets)
	slices.SortStableFunc(list, func(a, b MapAsset) int {
		if c := strings.Compare(a.Asset.Network, b.Asset.Network); c != 0 {
			return c
		}
		if c := strings.Compare(a.Asset.Subnet, b.Asset.Subnet); c != 0 {
			return c
		}
		return strings.Compare(firstSG(a.Asset), firstSG(b.Asset))
	})
	// Beyond the limit, keep the assets a person must see and fold the rest per group.
	type fold struct {
		network, subnet, sg string
		n                   int
	}
	var folds []fold
	if len(list) > limit {
		var keep []MapAsset
		idx := map[string]int{}
		for _, a := range list {
			if (a.serious() || a.internet()) && len(keep) < limit {
				keep = append(keep, a)
				continue
			}
			k := a.Asset.Network + "|" + a.Asset.Subnet + "|" + firstSG(a.Asset)
			i, ok := idx[k]
			if !ok {
				i = len(folds)
				idx[k] = i
				folds = append(folds, fold{a.Asset.Network, a.Asset.Subnet, firstSG(a.Asset), 0})
			}
			folds[i].n++
		}
		g.summary = fmt.Sprintf("%d assets: the %d exposed to the internet or with serious findings are drawn one by one, the other %d are summarised per security group",
			len(list), len(keep), len(list)-len(keep))
		list = keep
	}
	ids := map[string]int{}
	add := func(key string, n node) int {
		if i, ok := ids[key]; ok {
			return i
		}
		ids[key] = len(g.nodes)
		g.nodes = append(g.nodes, n)
		return len(g.nodes) - 1
	}
	link := map[[2]int]int{}
	connect := func(a, b int, internet bool) {
		k := [2]int{a, b}
		if i, ok := link[k]; ok {
			g.edges[i].internet = g.edges[i].internet || internet
			return
		}
		link[k] = len(g.edges)
		g.edges = append(g.edges, edge{a, b, internet})
	}
	inet := add("internet", node{label: "Internet", tip: "the internet (0.0.0.0/0, ::/0)", col: 0, fill: "#fdecea", stroke: "#c0392b", bold: true, class: "internet"})
	row := 0
	place := func(network, subnet string, sgs []string, n node, internet bool) {
		vpc := add("vpc|"+network, node{label: orNone(network, "(no network)"), tip: "network " + orNone(network, "unknown"), col: 1, fill: "#eaf2f8", stroke: "#2e86c1"})
		sn := add("subnet|"+network+"|"+subnet, node{label: orNone(subnet, "(no subnet)"), tip: "subnet " + orNone(subnet, "unknown") + " in " + orNone(network, "an unknown network"), col: 2, fill: "#eef6ee", stroke: "#27ae60"})
		connect(vpc, sn, false)
		n.col, n.y = 4, padTop+float64(row)*rowH
		row++
		an := len(g.nodes)
		g.nodes = append(g.nodes, n)
		if len(sgs) == 0 {
			sgs = []string{""}
		}
		for _, sg := range sgs {
			s := add("sg|"+network+"|"+sg, node{label: orNone(sg, "(no security group)"), tip: "security group " + orNone(sg, "none") + " in " + orNone(network, "an unknown network"), col: 3, fill: "#f4ecf7", stroke: "#8e44ad"})
			connect(sn, s, false)
			connect(s, an, internet)
			if internet {
				connect(inet, s, true)
			}
		}
	}
	for i := range list {
		a := &list[i]
		label := a.Asset.ID
		if n := name(a.Asset); n != "" {
			label = n
		}
		if ips := append(slices.Clone(a.Asset.PublicIPs), a.Asset.PrivateIPs...); len(ips) > 0 {
			label += " " + ips[0]
		}
		n := node{label: label, tip: assetTip(a), fill: "#ffffff", stroke: "#7f8c8d"}
		if len(a.Findings) > 0 {
			n.fill = severityFill[a.Worst]
		}
		if a.serious() {
			n.stroke, n.bold, n.class = "#7b241c", true, "serious"
		}
		place(a.Asset.Network, a.Asset.Subnet, a.Asset.SecurityGroups, n, a.internet())
	}
	for _, f := range folds {
		n := node{label: fmt.Sprintf("+%d quiet assets", f.n), tip: fmt.Sprintf("%d assets of %s / %s behind %s with no internet exposure and no serious finding", f.n,
			orNone(f.network, "?"), orNone(f.subnet, "?"), orNone(f.sg, "no security group")), fill: "#f8f9f9", stroke: "#bdc3c7"}
		place(f.network, f.subnet, []string{f.sg}, n, false)
	}
	// Parents sit at the mean height of their children, column by column from the right.
	for col := 3; col >= 0; col-- {
		sum, cnt := map[int]float64{}, map[int]int{}
		for _, e := range g.edges {
			if g.nodes[e.from].col == col && g.nodes[e.to].col == col+1 {
				sum[e.from] += g.nodes[e.to].y
				cnt[e.from]++
			}
		}
		var at []int
		for i := range g.nodes {
			if g.nodes[i].col == col {
				if cnt[i] > 0 {
					g.nodes[i].y = sum[i] / float64(cnt[i])
				} else {
					g.nodes[i].y = padTop
				}
				at = append(at, i)
			}
		}
		// Nodes of one column never overlap: push them apart in order.
		slices.SortStableFunc(at, func(a, b int) int { return cmpFloat(g.nodes[a].y, g.nodes[b].y) })
		for k := 1; k < len(at); k++ {
			if prev := g.nodes[at[k-1]].y; g.nodes[at[k]].y < prev+rowH {
				g.nodes[at[k]].y = prev + rowH
			}
		}
	}
	g.height = padTop + float64(max(row, 1))*rowH + 30
	for _, n := range g.nodes {
		g.height = math.Max(g.height, n.y+rowH+30)
	}
	return g
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func firstSG(a riskmap.Asset) string {
	if len(a.SecurityGroups) > 0 {
		return a.SecurityGroups[0]
	}
	return ""
}

func name(a riskmap.Asset) string {
	for _, t := range a.Tags {
		if t.Key == "Name" || t.Key == "name" {
			return t.Value
		}
	}
	return ""
}

func assetTip(a *MapAsset) string {
	var b strings.Builder
	b.WriteString(a.Asset.ID)
	if n := name(a.Asset); n != "" {
		b.WriteString(" (" + n + ")")
	}
	if len(a.Asset.PrivateIPs) > 0 {
		b.WriteString("\nprivate " + strings.Join(a.Asset.PrivateIPs, ", "))
	}
	if len(a.Asset.PublicIPs) > 0 {
		b.WriteString("\npublic " + strings.Join(a.Asset.PublicIPs, ", "))
	}
	var tags []string
	for _, t := range a.Asset.Tags {
		tags = append(tags, t.Key+"="+t.Value)
	}
	if len(tags) > 0 {
		b.WriteString("\ntags " + strings.Join(tags, ", "))
	}
	if a.internet() {
		b.WriteString("\nopen to the internet")
	}
	for _, f := range a.Findings {
		b.WriteString("\n" + f)
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func (g *graph) svg() string {
	width := padLeft*2 + 4*colW + nodeW
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="topology" width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="topology: internet, VPCs, subnets, security groups, assets">`,
		width, g.height, width, g.height)
	for i, h := range []string{"internet", "VPC", "subnet", "security group", "asset"} {
		fmt.Fprintf(&b, `<text x="%g" y="16" font-size="12" font-weight="bold" font-family="sans-serif">%s</text>`, padLeft+float64(i)*colW, h)
	}
	if g.summary != "" {
		fmt.Fprintf(&b, `<text x="%g" y="30" font-size="10" font-family="sans-serif" fill="#555">%s</text>`, padLeft, html.EscapeString(g.summary))
	}
	// Quiet edges first, internet-exposed ones on top.
	for pass := 0; pass < 2; pass++ {
		for _, e := range g.edges {
			if e.internet != (pass == 1) {
				continue
			}
			a, c := g.nodes[e.from], g.nodes[e.to]
			x1, y1 := padLeft+float64(a.col)*colW+nodeW, a.y+rowH/2-2
			x2, y2 := padLeft+float64(c.col)*colW, c.y+rowH/2-2
			cls, stroke, sw := "edge", "#b3b6b7", 1.0
			if e.internet {
				cls, stroke, sw = "edge internet", "#c0392b", 2.0
			}
			fmt.Fprintf(&b, `<path class="%s" d="M%.1f %.1fC%.1f %.1f %.1f %.1f %.1f %.1f" fill="none" stroke="%s" stroke-width="%g"/>`,
				cls, x1, y1, (x1+x2)/2, y1, (x1+x2)/2, y2, x2, y2, stroke, sw)
		}
	}
	for _, n := range g.nodes {
		x := padLeft + float64(n.col)*colW
		cls := strings.TrimSpace("node " + n.class)
		sw := 1.0
		if n.bold {
			sw = 2.5
		}
		fmt.Fprintf(&b, `<g class="%s"><title>%s</title><rect x="%.1f" y="%.1f" width="%g" height="%g" rx="3" fill="%s" stroke="%s" stroke-width="%g"/>`,
			cls, html.EscapeString(n.tip), x, n.y, nodeW, rowH-4, n.fill, n.stroke, sw)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9" font-family="sans-serif">%s</text></g>`, x+4, n.y+rowH-6.5, html.EscapeString(truncate(n.label, 30)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
