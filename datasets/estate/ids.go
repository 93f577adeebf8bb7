package estate

import (
	"fmt"
	"net/netip"
)

// mix64 is the splitmix64 finalizer: a bijection on uint64, so distinct serials give distinct
// ids.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Id spaces: each resource type numbers its own serials.
const (
	spaceInstance uint64 = iota + 1
	spaceVPC
	spaceSubnet
	spaceSG
	spaceImage
	spaceENI
	spaceReservation
	spaceAttachment
)

// awsID returns an AWS-style id ("i-0" and 16 hex digits) for serial n of space under seed:
// unique within the space for a seed, and stable across runs.
func awsID(prefix string, seed int64, space, n uint64) string {
	key := mix64(uint64(seed)*0x2545f4914f6cdd1d + space)
	return fmt.Sprintf("%s-0%016x", prefix, mix64(n^key))
}

// pool hands out the addresses of a range, lowest free first, so that a freed address is the
// next one taken: how an IP comes to be handed to another instance.
type pool struct {
	used []bool
	low  int // every index below low is in use
}

func newPool(n int) *pool { return &pool{used: make([]bool, n)} }

func (p *pool) clone() *pool { return &pool{used: append([]bool(nil), p.used...), low: p.low} }

// take returns the lowest free index, or -1 when the pool is full.
func (p *pool) take() int {
	for i := p.low; i < len(p.used); i++ {
		if !p.used[i] {
			p.used[i] = true
			p.low = i + 1
			return i
		}
	}
	p.low = len(p.used)
	return -1
}

func (p *pool) free(i int) {
	if i >= 0 && i < len(p.used) {
		p.used[i] = false
		p.low = min(p.low, i)
	}
}

// labAddr is host h (0-based) of subnet s of VPC v: 127.(10+v).s.(h+1).
func labAddr(v, s, h int) string {
	return netip.AddrFrom4([4]byte{127, byte(10 + v), byte(s), byte(h + 1)}).String()
}

// labHost returns the host index of a lab address (the inverse of labAddr's h).
func labHost(ip string) int {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return -1
	}
	return int(a.As4()[3]) - 1
}

// Public addresses are data only: first the documentation ranges 203.0.113.0/24 and
// 198.51.100.0/24, then, for estates too big for them, the benchmarking range 198.18.0.0/15
// (RFC 2544). None of them is routed on the internet. Once all 131,578 are taken, instances
// launched in public subnets get no public address.
var publicRanges = []struct {
	base netip.Addr
	n    int
}{
	{netip.MustParseAddr("203.0.113.1"), 254},
	{netip.MustParseAddr("198.51.100.1"), 254},
	{netip.MustParseAddr("198.18.0.1"), 131070},
}

func publicPoolSize() int {
	n := 0
	for _, r := range publicRanges {
		n += r.n
	}
	return n
}

// publicAddr returns the i-th public address.
func publicAddr(i int) string {
	for _, r := range publicRanges {
		if i < r.n {
			return u32addr(addru32(r.base) + uint32(i)).String()
		}
		i -= r.n
	}
	return ""
}

// publicIndex is the inverse of publicAddr, or -1.
func publicIndex(ip string) int {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return -1
	}
	off := 0
	for _, r := range publicRanges {
		if d := int64(addru32(a)) - int64(addru32(r.base)); d >= 0 && d < int64(r.n) {
			return off + int(d)
		}
		off += r.n
	}
	return -1
}

func addru32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func u32addr(u uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)})
}
