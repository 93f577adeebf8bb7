package report

import "github.com/riskmap/riskmap/datasets"

// workerRow is one segment's jobs in one cycle, as the cycles table recorded them.
type workerRow struct {
	Cycle, Segment                          string
	Jobs, Done, Refused, Dead, Queued, Live int
	// Stranded: jobs left queued in a segment that had no live worker, which wait in
	// JetStream until one connects.
	Stranded bool
}

// workerRows lists the segments of every cycle that dispatched to workers, oldest cycle
// first, and the plan items each cycle could route to no segment; queued sums the jobs
// left queued over those cycles.
func workerRows(cycles []datasets.Cycle) (rows []workerRow, unrouted []workerRow, queued int) {
	for _, c := range cycles {
		for _, s := range c.Segments {
			rows = append(rows, workerRow{Cycle: c.ID, Segment: s.Segment, Jobs: s.Jobs, Done: s.Done, Refused: s.Refused,
				Dead: s.Dead, Queued: s.Queued, Live: s.Live, Stranded: s.Queued > 0 && s.Live == 0})
			queued += s.Queued
		}
		if c.Unrouted > 0 {
			unrouted = append(unrouted, workerRow{Cycle: c.ID, Jobs: c.Unrouted})
		}
	}
	return rows, unrouted, queued
}

// workersSection is the report's section on the scan workers; it is empty for a workspace
// whose cycles never dispatched to workers.
const workersSection = `{{if or .Workers .Unrouted}}
<section>
<h2>Scan workers by segment</h2>
<p>What each network segment's workers did with each cycle's jobs. Jobs left queued stay in the work queue and are picked up by the next worker of their segment{{if .WorkersQueued}}; {{.WorkersQueued}} jobs were left queued{{end}}.</p>
<table><tr><th>cycle</th><th>segment</th><th>jobs</th><th>done</th><th>refused</th><th>dead</th><th>queued</th><th>live workers</th><th></th></tr>
{{range .Workers}}<tr><td>{{.Cycle}}</td><td>{{.Segment}}</td><td class="n">{{.Jobs}}</td><td class="n">{{.Done}}</td><td class="n">{{.Refused}}</td><td class="n">{{.Dead}}</td><td class="n">{{.Queued}}</td><td class="n">{{.Live}}</td><td>{{if .Stranded}}<b style="color:#c0392b">queued: no live worker</b>{{end}}</td></tr>
{{end}}</table>
{{if .Unrouted}}<p>Plan items no configured segment reaches (not scanned):</p>
<table><tr><th>cycle</th><th>items</th></tr>
{{range .Unrouted}}<tr><td>{{.Cycle}}</td><td class="n">{{.Jobs}}</td></tr>
{{end}}</table>{{end}}
</section>
{{end}}`
