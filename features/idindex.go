package features

import "hash/maphash"

// idIndex maps asset ids to asset numbers. It is the join every hosts, observations,
// findings and diffs row goes through, so it is built for lookups that miss the CPU cache:
// a flat open-addressing table whose slots hold two independent 64-bit hashes of the id
// and its number, so that a lookup reads one slot and never follows a pointer to the key's
// bytes. Two ids are taken as equal when both hashes agree: a false match needs a 128-bit
// collision, the same assumption the workspace makes when it names scans by content hash.
type idIndex struct {
	seed1, seed2 maphash.Seed
	slots        []idSlot
	mask         uint64
	n            int
}

type idSlot struct {
	h1, h2 uint64
	num    int32 // asset number + 1; 0 marks an empty slot
}

func newIDIndex(capacity int) *idIndex {
	x := &idIndex{seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed()}
	x.alloc(capacity)
	return x
}

// alloc sizes the table for capacity ids at a load of at most one half.
func (x *idIndex) alloc(capacity int) {
	size := 16
	for size < 2*capacity {
		size <<= 1
	}
	x.slots = make([]idSlot, size)
	x.mask = uint64(size - 1)
}

// insert adds id as asset number num unless the index has it; it returns the number the
// index holds for id and whether it was added.
func (x *idIndex) insert(id []byte, num int32) (int32, bool) {
	if 2*(x.n+1) > len(x.slots) {
		old := x.slots
		x.alloc(2 * (x.n + 1))
		for _, s := range old {
			if s.num != 0 {
				x.place(s)
			}
		}
	}
	h1, h2 := maphash.Bytes(x.seed1, id), maphash.Bytes(x.seed2, id) // the same hashes as maphash.String
	for j := h1 & x.mask; ; j = (j + 1) & x.mask {
		s := &x.slots[j]
		if s.num == 0 {
			*s = idSlot{h1, h2, num + 1}
			x.n++
			return num, true
		}
		if s.h1 == h1 && s.h2 == h2 {
			return s.num - 1, false
		}
	}
}

func (x *idIndex) place(s idSlot) {
	for j := s.h1 & x.mask; ; j = (j + 1) & x.mask {
		if x.slots[j].num == 0 {
			x.slots[j] = s
			return
		}
	}
}

// lookup returns the asset number of id.
func (x *idIndex) lookup(id string) (int32, bool) {
	h1 := maphash.String(x.seed1, id)
	for j := h1 & x.mask; ; j = (j + 1) & x.mask {
		s := &x.slots[j]
		if s.num == 0 {
			return -1, false
		}
		if s.h1 == h1 {
			if s.h2 == maphash.String(x.seed2, id) {
				return s.num - 1, true
			}
			// a 64-bit collision with another id: keep probing
		}
	}
}

// len is the number of ids in the index.
func (x *idIndex) len() int { return x.n }
