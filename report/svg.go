package report

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Small inline-SVG charts for the report: no script, no fetch, readable without a network.

type series struct {
	Name   string
	Color  string
	Points [][2]float64 // x, y
}

// barChart draws labelled bars.
func barChart(title string, labels []string, values []float64, color string) template.HTML {
	const w, h, pad = 560.0, 220.0, 36.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" role="img" aria-label="%s">`, w, h, template.HTMLEscapeString(title))
	maxV := 0.0
	for _, v := range values {
		maxV = math.Max(maxV, v)
	}
	if maxV == 0 {
		maxV = 1
	}
	n := float64(len(values))
	bw := (w - 2*pad) / math.Max(n, 1)
	for i, v := range values {
		bh := (h - 2*pad) * v / maxV
		x := pad + float64(i)*bw
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %g</title></rect>`,
			x+1, h-pad-bh, math.Max(bw-2, 1), bh, color, template.HTMLEscapeString(labels[i]), v)
		if len(values) <= 12 || i%int(math.Ceil(n/12)) == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%s</text>`, x+bw/2, h-pad+14, template.HTMLEscapeString(labels[i]))
		}
	}
	fmt.Fprintf(&b, `<text x="%g" y="16" font-size="12">%s (max %g)</text>`, pad, template.HTMLEscapeString(title), maxV)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#333"/>`, pad, h-pad, w-pad, h-pad)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// lineChart draws series on shared axes; log10 x when logX.
func lineChart(title, xLabel, yLabel string, ss []series, logX bool) template.HTML {
	const w, h, pad = 560.0, 260.0, 44.0
	minX, maxX, maxY := math.Inf(1), math.Inf(-1), 0.0
	tx := func(x float64) float64 {
		if logX {
			return math.Log10(math.Max(x, 1))
		}
		return x
	}
	for _, s := range ss {
		for _, p := range s.Points {
			minX, maxX, maxY = math.Min(minX, tx(p[0])), math.Max(maxX, tx(p[0])), math.Max(maxY, p[1])
		}
	}
	if math.IsInf(minX, 0) || maxX == minX {
		minX, maxX = 0, 1
	}
	if maxY == 0 {
		maxY = 1
	}
	px := func(x float64) float64 { return pad + (w-2*pad)*(tx(x)-minX)/(maxX-minX) }
	py := func(y float64) float64 { return h - pad - (h-2*pad)*y/maxY }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" role="img" aria-label="%s">`, w, h, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#333"/><line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#333"/>`, pad, h-pad, w-pad, h-pad, pad, pad, pad, h-pad)
	for i, s := range ss {
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p[0]), py(p[1])))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s: %g, %g</title></circle>`, px(p[0]), py(p[1]), s.Color, template.HTMLEscapeString(s.Name), p[0], p[1])
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), s.Color)
		}
		fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11" fill="%s">%s</text>`, w-pad-170, pad+14*float64(i), s.Color, template.HTMLEscapeString(s.Name))
	}
	scale := ""
	if logX {
		scale = " (log scale)"
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11" text-anchor="middle">%s%s</text>`, w/2, h-8, template.HTMLEscapeString(xLabel), scale)
	fmt.Fprintf(&b, `<text x="12" y="%g" font-size="11" transform="rotate(-90 12 %g)" text-anchor="middle">%s (max %.3g)</text>`, h/2, h/2, template.HTMLEscapeString(yLabel), maxY)
	fmt.Fprintf(&b, `<text x="%g" y="16" font-size="12">%s</text></svg>`, pad, template.HTMLEscapeString(title))
	return template.HTML(b.String())
}
