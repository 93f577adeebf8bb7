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
	return p.paint([][2]int{{from, to}}, at)
}

// PaintList is Paint for every port of l, in one pass.
func (p Probed) PaintList(l PortList, at time.Time) Probed {
	var rs [][2]int
	for i := 0; i < len(l); {
		j := i
		for j+1 < len(l) && l[j+1] == l[j]+1 {
			j++
		}
		rs = append(rs, [2]int{l[i], l[j]})
		i = j + 1
	}
	return p.paint(rs, at)
}

// paint merges sorted, disjoint ranges rs probed at at into p: every boundary of either list
// cuts the port space into segments, and each segment takes the later time of the lists that
// hold it.
func (p Probed) paint(rs [][2]int, at time.Time) Probed {
	bs := make([]int, 0, 2*(len(p)+len(rs)))
	for _, r := range p {
		bs = append(bs, r.From, r.To+1)
	}
	for k, r := range rs {
		r[0], r[1] = max(r[0], 1), min(r[1], 65535)
		rs[k] = r
		if r[0] <= r[1] {
			bs = append(bs, r[0], r[1]+1)
		}
	}
	slices.Sort(bs)
	bs = slices.Compact(bs)
	out := make(Probed, 0, len(p)+len(rs))
	i, j := 0, 0
	for b := 0; b+1 < len(bs); b++ {
		lo, hi := bs[b], bs[b+1]-1
		for i < len(p) && p[i].To < lo {
			i++
		}
		for j < len(rs) && rs[j][1] < lo {
			j++
		}
		inP := i < len(p) && p[i].From <= lo
		inR := j < len(rs) && rs[j][0] <= lo && rs[j][0] <= rs[j][1]
		var t time.Time
		switch {
		case inP && inR:
			t = p[i].At
			if at.After(t) {
				t = at
			}
		case inP:
			t = p[i].At
		case inR:
			t = at
		default:
			continue
		}
		if n := len(out); n > 0 && out[n-1].To+1 == lo && out[n-1].At.Equal(t) {
			out[n-1].To = hi
			continue
		}
		out = append(out, ProbedRange{lo, hi, t})
	}
	return out
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
