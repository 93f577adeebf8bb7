package features

import (
	"cmp"
	"slices"
)

// neighbourhood counts, per key (image, group, subnet, security group), the assets that
// carry it and those of them that had a serious finding.
type neighbourhood struct {
	count, serious [4][]int32
}

func (a *aggregator) neighbourhood() *neighbourhood {
	nb := &neighbourhood{}
	for k := range nb.count {
		nb.count[k] = make([]int32, a.snap.keys[k])
		nb.serious[k] = make([]int32, a.snap.keys[k])
	}
	for i := range a.snap.info {
		info := &a.snap.info[i]
		_, _, f, _ := a.state(i)
		var s int32
		if f.seriousScans > 0 {
			s = 1
		}
		for kind, k := range [3]int32{info.image, info.group, info.subnet} {
			if k >= 0 {
				nb.count[kind][k]++
				nb.serious[kind][k] += s
			}
		}
		sgs := a.snap.sgsOf(info)
		for j, k := range sgs {
			if !slices.Contains(sgs[:j], k) {
				nb.count[keySG][k]++
				nb.serious[keySG][k] += s
			}
		}
	}
	return nb
}

// share is the serious share of the other assets with key k: leave-one-out, so that an
// asset's own findings never reach its own feature.
func (nb *neighbourhood) share(kind int, k int32, self int32) float32 {
	if k < 0 || nb.count[kind][k] <= 1 {
		return 0
	}
	return float32(nb.serious[kind][k]-self) / float32(nb.count[kind][k]-1)
}

func (nb *neighbourhood) others(kind int, k int32) float32 {
	if k < 0 {
		return 0
	}
	return float32(nb.count[kind][k] - 1)
}

// siblings holds, per image and per group, the ports open on members in their latest
// scan, each with the number of members that had it open, sorted by port key.
type siblings struct {
	image, group [][]portCount // by key number
}

type portCount struct {
	key uint32 // port | proto<<16
	n   int32
}

func portKey(p *portSeen) uint32 { return portKeyOf(p.port, p.proto) }

// portCounter counts ports per key while siblings are gathered: a linear search while a
// set is small (the ports of one image), a map once it is not.
type portCounter struct {
	sets  [][]portCount
	index []map[uint32]int32
}

func (c *portCounter) add(k int32, port uint32) {
	set := c.sets[k]
	if m := c.index[k]; m != nil {
		if j, ok := m[port]; ok {
			set[j].n++
			return
		}
		m[port] = int32(len(set))
		c.sets[k] = append(set, portCount{port, 1})
		return
	}
	for j := range set {
		if set[j].key == port {
			set[j].n++
			return
		}
	}
	c.sets[k] = append(set, portCount{port, 1})
	if len(c.sets[k]) > indexAfter {
		m := make(map[uint32]int32, 2*len(c.sets[k]))
		for j, p := range c.sets[k] {
			m[p.key] = int32(j)
		}
		c.index[k] = m
	}
}

// sorted returns the sets, each sorted by port key.
func (c *portCounter) sorted() [][]portCount {
	for _, set := range c.sets {
		slices.SortFunc(set, func(x, y portCount) int { return cmp.Compare(x.key, y.key) })
	}
	return c.sets
}

func newPortCounter(n int) *portCounter {
	return &portCounter{sets: make([][]portCount, n), index: make([]map[uint32]int32, n)}
}

func (a *aggregator) siblings() *siblings {
	images, groups := newPortCounter(a.snap.keys[keyImage]), newPortCounter(a.snap.keys[keyGroup])
	for i := range a.snap.info {
		info := &a.snap.info[i]
		if info.image < 0 && info.group < 0 {
			continue
		}
		o, h, _, _ := a.state(i)
		now := lastScan(o, h)
		for p := range o.each {
			if p.last == 0 || p.last != now {
				continue
			}
			if info.image >= 0 {
				images.add(info.image, portKey(p))
			}
			if info.group >= 0 {
				groups.add(info.group, portKey(p))
			}
		}
	}
	return &siblings{image: images.sorted(), group: groups.sorted()}
}

// sets returns the port sets of an asset's image and group (nil where it has none).
func (sb *siblings) sets(info *assetInfo) (img, grp []portCount) {
	if info.image >= 0 {
		img = sb.image[info.image]
	}
	if info.group >= 0 {
		grp = sb.group[info.group]
	}
	return img, grp
}

// contains reports whether the sorted set holds key k.
func contains(set []portCount, k uint32) bool {
	lo, hi := 0, len(set)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if set[m].key < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(set) && set[lo].key == k
}

// predicted counts the ports open on asset i's siblings that i was never seen to open.
// union caches the size of image ∪ group per pair; each goroutine has its own.
func (sb *siblings) predicted(info *assetInfo, o *obsAgg, unions map[[2]int32]int32) int {
	img, grp := sb.sets(info)
	if len(img) == 0 && len(grp) == 0 {
		return 0
	}
	pair := [2]int32{info.image, info.group}
	union, ok := unions[pair]
	if !ok {
		union = int32(len(img))
		for _, p := range grp {
			if !contains(img, p.key) {
				union++
			}
		}
		unions[pair] = union
	}
	n := int(union)
	for p := range o.each {
		if p.last == 0 {
			continue
		}
		if k := portKey(p); contains(img, k) || contains(grp, k) {
			n--
		}
	}
	return n
}
