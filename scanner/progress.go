package scanner

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Progress is where a Run stands. Ports count host-ports: a host scanned on 100 ports is 100.
type Progress struct {
	Batches, BatchesDone int
	Hosts, HostsDone     int
	Ports, PortsDone     int
	// Task and Percent are nmap's latest <taskprogress> ("SYN Stealth Scan", 42.5).
	Task    string
	Percent float32
	Elapsed time.Duration
	// ETA is the time left, extrapolated from the hosts done so far, or nmap's own estimate
	// before any host is done; 0 when unknown.
	ETA  time.Duration
	Done bool
}

func (p Progress) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "batches %d/%d, hosts %d/%d, host-ports %d/%d", p.BatchesDone, p.Batches, p.HostsDone, p.Hosts, p.PortsDone, p.Ports)
	if p.Task != "" && !p.Done {
		fmt.Fprintf(&b, ", %s %.0f%%", p.Task, p.Percent)
	}
	if p.ETA > 0 && !p.Done {
		fmt.Fprintf(&b, ", ETA %s", p.ETA.Round(time.Second))
	}
	fmt.Fprintf(&b, ", %s elapsed", p.Elapsed.Round(time.Second))
	return b.String()
}

// TerminalProgress returns a Progress function that redraws one line on f, or nil when f is
// not a terminal (a file, a pipe, /dev/null), so that logs never fill with progress lines.
func TerminalProgress(f *os.File) func(Progress) {
	if !isTerminal(f) {
		return nil
	}
	return func(p Progress) {
		end := ""
		if p.Done {
			end = "\n"
		}
		fmt.Fprintf(f, "\r\x1b[Kriskmap scan: %s%s", p, end)
	}
}

// isTerminal is a portable approximation: a character device other than /dev/null.
func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

// tracker adds up the progress of a run's batches and reports it.
type tracker struct {
	mu    sync.Mutex
	fn    func(Progress)
	now   func() time.Time
	start time.Time
	p     Progress
	etc   time.Time
}

func newTracker(batches []Batch, fn func(Progress), now func() time.Time) *tracker {
	t := &tracker{fn: fn, now: now, start: now()}
	t.p.Batches = len(batches)
	for _, b := range batches {
		t.p.Hosts += len(b.Addrs)
		t.p.Ports += len(b.Addrs) * (len(b.Ports) + len(b.UDPPorts))
	}
	return t
}

// report calls fn with the current progress; t.mu is held.
func (t *tracker) report() {
	if t.fn == nil {
		return
	}
	t.p.Elapsed = t.now().Sub(t.start)
	t.p.ETA = 0
	switch {
	case t.p.Done:
	case t.p.HostsDone > 0:
		left := t.p.Hosts - t.p.HostsDone
		t.p.ETA = time.Duration(float64(t.p.Elapsed) * float64(left) / float64(t.p.HostsDone))
	case !t.etc.IsZero():
		t.p.ETA = max(t.etc.Sub(t.now()), 0)
	}
	t.fn(t.p)
}

func (t *tracker) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.Done = true
	t.report()
}

// batchTail follows one batch's XML file as nmap writes it.
type batchTail struct {
	t       *tracker
	perHost int
	hosts   int // hosts counted so far
	quit    chan struct{}
	stopped chan struct{}
}

// tail starts following path, nmap's XML output for b, every interval.
func (t *tracker) tail(path string, b Batch, every time.Duration) *batchTail {
	bt := &batchTail{t: t, perHost: len(b.Ports) + len(b.UDPPorts), quit: make(chan struct{}), stopped: make(chan struct{})}
	f, err := os.Open(path)
	if err != nil {
		close(bt.stopped) // progress is best effort; the XML itself is read after the run
		return bt
	}
	go func() {
		defer close(bt.stopped)
		defer f.Close()
		tick := time.NewTicker(every)
		defer tick.Stop()
		var carry []byte
		buf := make([]byte, 64*1024)
		for {
			select {
			case <-bt.quit:
				return
			case <-tick.C:
			}
			for {
				n, err := f.Read(buf)
				carry = append(carry, buf[:n]...)
				if err == io.EOF || n == 0 || err != nil {
					break
				}
			}
			i := bytes.LastIndexByte(carry, '>')
			if i < 0 {
				continue
			}
			bt.update(carry[:i+1])
			carry = append(carry[:0], carry[i+1:]...)
		}
	}()
	return bt
}

// update counts the hosts completed in chunk and takes its last <taskprogress>.
func (bt *batchTail) update(chunk []byte) {
	hosts := bytes.Count(chunk, []byte("</host>"))
	tp, ok := lastTaskProgress(chunk)
	if hosts == 0 && !ok {
		return
	}
	t := bt.t
	t.mu.Lock()
	defer t.mu.Unlock()
	bt.hosts += hosts
	t.p.HostsDone += hosts
	t.p.PortsDone += hosts * bt.perHost
	if ok {
		t.p.Task, t.p.Percent = tp.Task, tp.Percent
		if tp.Etc > 0 {
			t.etc = time.Unix(tp.Etc, 0)
		}
	}
	t.report()
}

// stop ends the polling and settles the batch's count against its final XML.
func (bt *batchTail) stop(final []byte) {
	select {
	case <-bt.stopped:
	default:
		close(bt.quit)
		<-bt.stopped
	}
	t := bt.t
	t.mu.Lock()
	defer t.mu.Unlock()
	delta := bytes.Count(final, []byte("</host>")) - bt.hosts
	t.p.HostsDone += delta
	t.p.PortsDone += delta * bt.perHost
	t.p.BatchesDone++
	t.report()
}

type taskProgress struct {
	Task    string  `xml:"task,attr"`
	Percent float32 `xml:"percent,attr"`
	Etc     int64   `xml:"etc,attr"`
}

func lastTaskProgress(chunk []byte) (taskProgress, bool) {
	i := bytes.LastIndex(chunk, []byte("<taskprogress "))
	if i < 0 {
		return taskProgress{}, false
	}
	j := bytes.Index(chunk[i:], []byte("/>"))
	if j < 0 {
		return taskProgress{}, false
	}
	var tp taskProgress
	if err := xml.Unmarshal(chunk[i:i+j+2], &tp); err != nil {
		return taskProgress{}, false
	}
	return tp, true
}
