package nmapxml

// maxDepth bounds element nesting, so that hostile input cannot grow the stack without end.
const maxDepth = 1000

// skip consumes the element whose start tag was just scanned, with everything inside it,
// checking that its end tags match.
func (p *parser) skip() error {
	lx := &p.lx
	if lx.empty {
		return nil
	}
	// The open elements, as [lo, hi) offsets of their names (no pointers: see attrPos).
	base := len(p.stack)
	p.stack = append(p.stack, [2]int{lx.nameLo, lx.nameHi})
	defer func() { p.stack = p.stack[:base] }()
	for len(p.stack) > base {
		k, err := lx.next()
		if err != nil {
			return err
		}
		switch k {
		case tokEOF:
			top := p.stack[len(p.stack)-1]
			return lx.eof("<" + string(lx.buf[top[0]:top[1]]) + ">")
		case tokStart:
			if !lx.empty {
				if len(p.stack) >= maxDepth {
					return lx.fail(lx.start, "elements nested deeper than %d", maxDepth)
				}
				p.stack = append(p.stack, [2]int{lx.nameLo, lx.nameHi})
			}
		case tokEnd:
			top := p.stack[len(p.stack)-1]
			if name := lx.buf[top[0]:top[1]]; string(name) != string(lx.tag()) {
				return lx.fail(lx.start, "end tag </%s> does not close <%s>", lx.tag(), name)
			}
			p.stack = p.stack[:len(p.stack)-1]
		case tokDoctype:
			return &fatalError{p.refuse(lx.start, ErrEntity, "<!DOCTYPE> inside the document")}
		}
	}
	return nil
}

// closes checks that the end tag just scanned is </elem>.
func (p *parser) closes(elem string) error {
	if string(p.lx.tag()) != elem {
		return p.lx.fail(p.lx.start, "end tag </%s> does not close <%s>", p.lx.tag(), elem)
	}
	return nil
}
