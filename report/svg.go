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

// lineChart draws series on shared axes with ticks and grid lines: log10 x when logX (ticks
// at whole decades), linear y from 0 (ticks at a round step). A series of several points is a
// curve through them; a series of one point is a marked point.
func lineChart(title, xLabel, yLabel string, ss []series, logX bool) template.HTML {
	const w, h, padL, padR, padT, padB = 620.0, 300.0, 64.0, 190.0, 30.0, 48.0
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
	if math.IsInf(minX, 0) {
		minX, maxX = 0, 1
	}
	var xTicks []float64
	if logX {
		minX, maxX = math.Floor(minX), math.Ceil(maxX)
		if maxX == minX {
			maxX++
		}
		for d := minX; d <= maxX; d++ {
			xTicks = append(xTicks, d)
		}
	} else {
		if maxX == minX {
			minX, maxX = minX-1, maxX+1
		}
		step := niceStep((maxX - minX) / 5)
		minX = math.Floor(minX/step) * step
		maxX = math.Ceil(maxX/step) * step
		for x := minX; x <= maxX+step/2; x += step {
			xTicks = append(xTicks, x)
		}
	}
	if maxY == 0 {
		maxY = 1
	}
	yStep := niceStep(maxY / 5)
	maxY = math.Ceil(maxY/yStep) * yStep
	px := func(v float64) float64 { return padL + (w-padL-padR)*(v-minX)/(maxX-minX) }
	py := func(y float64) float64 { return h - padB - (h-padT-padB)*y/maxY }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" role="img" aria-label="%s" font-family="sans-serif">`, w, h, template.HTMLEscapeString(title))
	for _, t := range xTicks {
		x := px(t)
		label := tickLabel(t)
		if logX {
			label = tickLabel(math.Pow(10, t))
		}
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#eee"/><line class="tick" x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#333"/><text x="%.1f" y="%g" font-size="10" text-anchor="middle">%s</text>`,
			x, padT, x, h-padB, x, h-padB, x, h-padB+4, x, h-padB+15, label)
	}
	for y := 0.0; y <= maxY+yStep/2; y += yStep {
		fmt.Fprintf(&b, `<line class="grid" x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#eee"/><line class="tick" x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#333"/><text x="%g" y="%.1f" font-size="10" text-anchor="end">%s</text>`,
			padL, py(y), w-padR, py(y), padL-4, py(y), padL, py(y), padL-6, py(y)+3, tickLabel(y))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%g" y1="%g" x2="%g" y2="%g" stroke="#333"/><line class="axis" x1="%g" y1="%g" x2="%g" y2="%g" stroke="#333"/>`,
		padL, h-padB, w-padR, h-padB, padL, padT, padL, h-padB)
	for i, s := range ss {
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(tx(p[0])), py(p[1])))
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline class="curve" points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), s.Color)
		}
		for _, p := range s.Points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s: %g, %g</title></circle>`, px(tx(p[0])), py(p[1]), s.Color, template.HTMLEscapeString(s.Name), p[0], p[1])
		}
		fmt.Fprintf(&b, `<rect x="%g" y="%g" width="10" height="10" fill="%s"/><text x="%g" y="%g" font-size="11">%s</text>`,
			w-padR+12, padT+16*float64(i), s.Color, w-padR+26, padT+16*float64(i)+9, template.HTMLEscapeString(s.Name))
	}
	scale := ""
	if logX {
		scale = " (log scale)"
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11" text-anchor="middle">%s%s</text>`, padL+(w-padL-padR)/2, h-10, template.HTMLEscapeString(xLabel), scale)
	fmt.Fprintf(&b, `<text x="14" y="%g" font-size="11" transform="rotate(-90 14 %g)" text-anchor="middle">%s</text>`, (h-padB+padT)/2, (h-padB+padT)/2, template.HTMLEscapeString(yLabel))
	fmt.Fprintf(&b, `<text x="%g" y="16" font-size="12">%s</text></svg>`, padL, template.HTMLEscapeString(title))
	return template.HTML(b.String())
}

// niceStep rounds a raw tick step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if !(raw > 0) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// tickLabel writes a tick value briefly: 0.25, 40, 1.2k, 3M.
func tickLabel(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e6), ".0") + "M"
	case a >= 1e3:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e3), ".0") + "k"
	case a == math.Trunc(a):
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}
