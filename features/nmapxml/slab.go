package nmapxml

// slab hands out short slices carved from shared chunks: a large scan has hundreds of
// thousands of one- or two-element CPE and script lists, and one allocation each would
// dominate. begin marks the start of a list, add appends to it, take returns it (capacity
// clipped, so appending to it never touches a neighbour).
type slab[T any] struct {
	buf   []T
	start int
}

func (s *slab[T]) begin() { s.start = len(s.buf) }

func (s *slab[T]) add(v T) {
	if len(s.buf) == cap(s.buf) {
		n := len(s.buf) - s.start
		nb := make([]T, n, max(1024, 4*n))
		copy(nb, s.buf[s.start:])
		s.buf, s.start = nb, 0
	}
	s.buf = append(s.buf, v)
}

func (s *slab[T]) take() []T {
	if len(s.buf) == s.start {
		return nil
	}
	out := s.buf[s.start:len(s.buf):len(s.buf)]
	s.start = len(s.buf)
	return out
}
