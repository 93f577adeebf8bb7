package scanner

import (
	"slices"
	"time"
)

// ProbedRange is an inclusive range of TCP ports last probed at At.
type ProbedRange struct {
	From, To int
	At       time.Time
}

// Probed is when each TCP port of an asset was last probed: sorted, disjoint ranges, each with
// the time of the latest scan that probed it. Ports in no range were never probed. It is the
// planner's view of the workspace's coverage table, kept as ranges (a -p- scan is one range, a
// top-1000 list a few hundred), never one entry per port.
type Probed []ProbedRange

// Paint returns p with ports from..to (inclusive, clipped to 1-65535) probed at at: a port
// keeps the later of its old time and at. p is not modified.
func (p Probed) Paint(from, to int, at time.Time) Probed {
	from, to = max(from, 1), min(to, 65535)
	if from > to {
		return p
	}
	var out Probed
	add := func(r ProbedRange) {
		if r.From > r.To {
			return
		}
		if n := len(out); n > 0 && out[n-1].To+1 == r.From && out[n-1].At.Equal(r.At) {
			out[n-1].To = r.To
			return
		}
		out = append(out, r)
	}
	cur := from // the next port of from..to not yet written
	for _, r := range p {
		if r.To < cur || r.From > to {
			if r.From > to && cur <= to {
				add(ProbedRange{cur, to, at})
				cur = to + 1
			}
			add(r)
			continue
		}
		// r overlaps cur..to: the part before cur keeps its time.
		add(ProbedRange{r.From, cur - 1, r.At})
		if r.From > cur {
			add(ProbedRange{cur, r.From - 1, at})
			cur = r.From
		}
		hi := min(r.To, to)
		t := r.At
		if at.After(t) {
			t = at
		}
		add(ProbedRange{cur, hi, t})
		cur = hi + 1
		add(ProbedRange{hi + 1, r.To, r.At})
	}
	if cur <= to {
		add(ProbedRange{cur, to, at})
	}
	return out
}

// PaintList is Paint for every port of l.
func (p Probed) PaintList(l PortList, at time.Time) Probed {
	for i := 0; i < len(l); {
		j := i
		for j+1 < len(l) && l[j+1] == l[j]+1 {
			j++
		}
		p = p.Paint(l[i], l[j], at)
		i = j + 1
	}
	return p
}

// Last returns when port was last probed, and false if never.
func (p Probed) Last(port int) (time.Time, bool) {
	i, found := slices.BinarySearchFunc(p, port, func(r ProbedRange, port int) int {
		switch {
		case r.To < port:
			return -1
		case r.From > port:
			return 1
		}
		return 0
	})
	if !found {
		return time.Time{}, false
	}
	return p[i].At, true
}

// Covered counts the ports p has probed at or after since.
func (p Probed) Covered(since time.Time) int {
	n := 0
	for _, r := range p {
		if !r.At.Before(since) {
			n += r.To - r.From + 1
		}
	}
	return n
}
