// Over 400 lines: the hand-written XML byte scanner (prolog, DOCTYPE, elements, attributes,
// entities, invalid-byte recovery) is one state machine; split, its states would be apart.

package nmapxml

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// tokKind is what lexer.next found.
type tokKind uint8

const (
	tokEOF     tokKind = iota
	tokStart           // <name attr="v"> or <name/> (lexer.empty)
	tokEnd             // </name>
	tokText            // character data, raw (entities not decoded)
	tokCDATA           // <![CDATA[...]]>, its content in lexer.text
	tokComment         // <!-- ... -->
	tokPI              // <?target ...?>, the target in lexer.name
	tokDoctype         // <!DOCTYPE name ...>; lexer.empty when no internal subset follows (text: the external id)
)

// attr is one attribute of the current start tag; both slices point into the input, and
// val is raw (entity references not decoded yet). The lexer keeps attributes as attrPos,
// offsets without pointers: writing pointers into the heap costs a GC write barrier each,
// and a large scan has tens of millions of attributes.
type attr struct {
	name, val []byte
}

type attrPos struct {
	nameLo, nameHi, valLo, valHi int
}

// syntaxError is a lexer (or entity decoding) failure at byte offset off of the input.
// eof marks input that ended inside a construct, the signature of a truncated file, rather
// than one that broke a rule.
type syntaxError struct {
	off int
	eof bool
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// lexer is a pull scanner over a whole nmap XML document held in memory. It never copies:
// names, attribute values and text are subslices of buf, valid until the next call to next
// only in the sense that attrs is reused. It checks what well-formedness costs little
// (tag syntax, quoting, '<' in values) and leaves the rest (entity syntax, nesting) to the
// parser, which checks what it reads.
type lexer struct {
	buf            []byte
	pos            int       // offset of the next unread byte
	start          int       // offset of the current token
	nameLo, nameHi int       // element name, PI target or DOCTYPE name (see tag)
	attrs          []attrPos // attributes of the current start tag (see attr)
	empty          bool      // start tag closed itself (<x/>); for DOCTYPE, no internal subset
	textLo, textHi int       // text, CDATA or comment content (see text)
}

// tag returns the name of the current tag.
func (l *lexer) tag() []byte { return l.buf[l.nameLo:l.nameHi] }

// text returns the content of the current text, CDATA or comment token.
func (l *lexer) text() []byte { return l.buf[l.textLo:l.textHi] }

// attr returns attribute i of the current start tag.
func (l *lexer) attr(i int) attr {
	a := l.attrs[i]
	return attr{name: l.buf[a.nameLo:a.nameHi], val: l.buf[a.valLo:a.valHi]}
}

// nameByte classifies bytes for XML names: 1 may start a name, 2 may only continue one.
// Bytes >= 0x80 are accepted as parts of UTF-8 encoded name characters.
var nameByte = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = 1
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 1
	}
	t['_'], t[':'] = 1, 1
	for c := 0x80; c < 0x100; c++ {
		t[c] = 1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 2
	}
	t['-'], t['.'] = 2, 2
	return t
}()

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// scanName returns the end of the XML name that starts at p, or p when there is none.
func scanName(buf []byte, p int) int {
	if p >= len(buf) || nameByte[buf[p]] != 1 {
		return p
	}
	p++
	for p < len(buf) && nameByte[buf[p]] != 0 {
		p++
	}
	return p
}

func (l *lexer) fail(off int, format string, args ...any) error {
	return &syntaxError{off: off, msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) eof(what string) error {
	return &syntaxError{off: len(l.buf), eof: true, msg: "unexpected end of input inside " + what}
}

// next scans the next token.
func (l *lexer) next() (tokKind, error) {
	buf, p := l.buf, l.pos
	if p >= len(buf) {
		l.start = p
		return tokEOF, nil
	}
	l.start = p
	if buf[p] != '<' {
		// Text between tags is mostly a newline: look a few bytes ahead before the
		// vectorised search.
		i := p + 1
		for stop := min(len(buf), p+8); i < stop && buf[i] != '<'; i++ {
		}
		if i < len(buf) && buf[i] != '<' {
			if k := bytes.IndexByte(buf[i:], '<'); k >= 0 {
				i += k
			} else {
				i = len(buf)
			}
		}
		l.textLo, l.textHi = p, i
		l.pos = i
		return tokText, nil
	}
	if p+1 >= len(buf) {
		return 0, l.eof("a tag")
	}
	switch buf[p+1] {
	case '/':
		return l.endTag()
	case '?':
		return l.pi()
	case '!':
		return l.bang()
	}
	return l.startTag()
}

func (l *lexer) startTag() (tokKind, error) {
	buf := l.buf
	p := l.pos + 1
	n := scanName(buf, p)
	if n == p {
		if p >= len(buf) {
			return 0, l.eof("a tag")
		}
		return 0, l.fail(p, "invalid character %q after '<'", buf[p])
	}
	l.nameLo, l.nameHi = p, n
	l.attrs = l.attrs[:0]
	p = n
	for {
		sp := p
		for p < len(buf) && isSpace(buf[p]) {
			p++
		}
		if p >= len(buf) {
			return 0, l.eof("<" + string(l.tag()) + ">")
		}
		switch buf[p] {
		case '>':
			l.empty = false
			l.pos = p + 1
			return tokStart, nil
		case '/':
			if p+1 >= len(buf) {
				return 0, l.eof("<" + string(l.tag()) + ">")
			}
			if buf[p+1] != '>' {
				return 0, l.fail(p, "expected '>' after '/' in <%s>", l.tag())
			}
			l.empty = true
			l.pos = p + 2
			return tokStart, nil
		}
		if sp == p {
			return 0, l.fail(p, "expected space, '>' or '/>' in <%s>, found %q", l.tag(), buf[p])
		}
		ns := p
		p = scanName(buf, p)
		if p == ns {
			return 0, l.fail(p, "unexpected %q in <%s>", buf[p], l.tag())
		}
		name := buf[ns:p]
		for p < len(buf) && isSpace(buf[p]) {
			p++
		}
		if p >= len(buf) {
			return 0, l.eof("<" + string(l.tag()) + ">")
		}
		if buf[p] != '=' {
			return 0, l.fail(p, "expected '=' after attribute %s in <%s>", name, l.tag())
		}
		p++
		for p < len(buf) && isSpace(buf[p]) {
			p++
		}
		if p >= len(buf) {
			return 0, l.eof("<" + string(l.tag()) + ">")
		}
		q := buf[p]
		if q != '"' && q != '\'' {
			return 0, l.fail(p, "value of attribute %s in <%s> is not quoted", name, l.tag())
		}
		p++
		end, lt := valueEnd(buf, p, q)
		if lt >= 0 {
			return 0, l.fail(lt, "'<' in the value of attribute %s in <%s>", name, l.tag())
		}
		if end < 0 {
			return 0, l.eof("the value of attribute " + string(name) + " in <" + string(l.tag()) + ">")
		}
		l.attrs = append(l.attrs, attrPos{ns, ns + len(name), p, end})
		p = end + 1
	}
}

// valueEnd finds the quote q that closes the attribute value starting at p. It returns its
// offset (-1 at end of input), or the offset of a '<' met before it (else -1), which XML
// forbids in values. Values are mostly a few bytes long, too short for the vectorised
// bytes.IndexByte to pay for its call, so it tests eight bytes at a time in a word (the
// classic "has zero byte" trick, once for q and once for '<').
func valueEnd(buf []byte, p int, q byte) (end, lt int) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	qm, lm := lo*uint64(q), lo*uint64('<')
	i := p
	for ; i+8 <= len(buf); i += 8 {
		x := binary.LittleEndian.Uint64(buf[i:])
		a, b := x^qm, x^lm
		// The lowest flagged byte is always a true match (false positives only sit above
		// a true one), so it is the first q or '<'.
		if t := ((a-lo)&^a | (b-lo)&^b) & hi; t != 0 {
			j := i + bits.TrailingZeros64(t)/8
			if buf[j] == q {
				return j, -1
			}
			return -1, j
		}
	}
	for ; i < len(buf); i++ {
		switch buf[i] {
		case q:
			return i, -1
		case '<':
			return -1, i
		}
	}
	return -1, -1
}

func (l *lexer) endTag() (tokKind, error) {
	buf := l.buf
	p := l.pos + 2
	n := scanName(buf, p)
	if n == p {
		if p >= len(buf) {
			return 0, l.eof("an end tag")
		}
		return 0, l.fail(p, "invalid character %q in an end tag", buf[p])
	}
	l.nameLo, l.nameHi = p, n
	p = n
	for p < len(buf) && isSpace(buf[p]) {
		p++
	}
	if p >= len(buf) {
		return 0, l.eof("</" + string(l.tag()) + ">")
	}
	if buf[p] != '>' {
		return 0, l.fail(p, "expected '>' in </%s>, found %q", l.tag(), buf[p])
	}
	l.pos = p + 1
	return tokEnd, nil
}

func (l *lexer) pi() (tokKind, error) {
	buf := l.buf
	p := l.pos + 2
	n := scanName(buf, p)
	if n == p {
		if p >= len(buf) {
			return 0, l.eof("a processing instruction")
		}
		return 0, l.fail(p, "invalid processing instruction target %q", buf[p])
	}
	l.nameLo, l.nameHi = p, n
	end := bytes.Index(buf[n:], []byte("?>"))
	if end < 0 {
		return 0, l.eof("<?" + string(l.tag()))
	}
	l.textLo, l.textHi = n, n+end
	l.pos = n + end + 2
	return tokPI, nil
}

var (
	commentOpen = []byte("<!--")
	cdataOpen   = []byte("<![CDATA[")
	doctypeOpen = []byte("<!DOCTYPE")
)

func (l *lexer) bang() (tokKind, error) {
	buf, p := l.buf, l.pos
	rest := buf[p:]
	switch {
	case bytes.HasPrefix(rest, commentOpen):
		end := bytes.Index(buf[p+4:], []byte("-->"))
		if end < 0 {
			return 0, l.eof("a comment")
		}
		l.textLo, l.textHi = p+4, p+4+end
		l.pos = p + 4 + end + 3
		return tokComment, nil
	case bytes.HasPrefix(rest, cdataOpen):
		s := p + len(cdataOpen)
		end := bytes.Index(buf[s:], []byte("]]>"))
		if end < 0 {
			return 0, l.eof("a CDATA section")
		}
		l.textLo, l.textHi = s, s+end
		l.pos = s + end + 3
		return tokCDATA, nil
	case len(rest) >= len(doctypeOpen) && bytes.EqualFold(rest[:len(doctypeOpen)], doctypeOpen):
		// HTML writes <!doctype html>; accept either case here so that the parser can
		// say "this is HTML" rather than "bad markup".
		return l.doctype(p + len(doctypeOpen))
	}
	if len(rest) < len(doctypeOpen) && (bytes.HasPrefix(commentOpen, rest) || bytes.HasPrefix(doctypeOpen, rest) || bytes.HasPrefix(cdataOpen, rest)) {
		return 0, l.eof("markup declaration")
	}
	return 0, l.fail(p, "unsupported markup %q", clip(rest, 12))
}

// doctype reads <!DOCTYPE name, and the external identifier that nmap 5.x and 6.x wrote
// after it (PUBLIC "pubid" "system" or SYSTEM "system"). The identifier is only read, never
// resolved: no DTD is ever fetched. The token is consumed, with lexer.empty set, when
// nothing else follows; for anything more (an internal subset of declarations, or text
// that is no external identifier) lexer.empty is false and the rest is not scanned at all,
// since the parser refuses the document.
func (l *lexer) doctype(p int) (tokKind, error) {
	buf := l.buf
	for p < len(buf) && isSpace(buf[p]) {
		p++
	}
	n := scanName(buf, p)
	if n == p {
		if p >= len(buf) {
			return 0, l.eof("<!DOCTYPE")
		}
		return 0, l.fail(p, "expected a name after <!DOCTYPE, found %q", buf[p])
	}
	l.nameLo, l.nameHi = p, n
	l.textLo, l.textHi = n, n
	p = skipSpace(buf, n)
	if p >= len(buf) {
		return 0, l.eof("<!DOCTYPE")
	}
	l.empty = false
	if q, ok := externalID(buf, p); ok {
		if q >= len(buf) {
			return 0, l.eof("<!DOCTYPE")
		}
		l.textLo, l.textHi = p, q
		p = skipSpace(buf, q)
		if p >= len(buf) {
			return 0, l.eof("<!DOCTYPE")
		}
	}
	if buf[p] == '>' {
		l.empty = true
		l.pos = p + 1
	}
	return tokDoctype, nil
}

// maxLiteral bounds a DOCTYPE's public or system literal; real ones are under 100 bytes.
const maxLiteral = 1024

// externalID reads PUBLIC "pubid" "system" or SYSTEM "system" at buf[p:], and returns the
// offset just after it. ok is false when there is none there (or it is malformed, or a
// literal is longer than maxLiteral); it is true with an offset of len(buf) when the input
// ends inside one.
func externalID(buf []byte, p int) (int, bool) {
	literals := 0
	switch {
	case bytes.HasPrefix(buf[p:], []byte("PUBLIC")):
		literals, p = 2, p+len("PUBLIC")
	case bytes.HasPrefix(buf[p:], []byte("SYSTEM")):
		literals, p = 1, p+len("SYSTEM")
	default:
		return 0, false
	}
	for i := 0; i < literals; i++ {
		q := skipSpace(buf, p)
		if q >= len(buf) {
			return len(buf), true
		}
		if q == p || (buf[q] != '"' && buf[q] != '\'') {
			return 0, false
		}
		end := bytes.IndexByte(buf[q+1:min(len(buf), q+2+maxLiteral)], buf[q])
		if end < 0 {
			if len(buf)-q-1 <= maxLiteral {
				return len(buf), true
			}
			return 0, false
		}
		p = q + 1 + end + 1
	}
	return p, true
}

// skipSpace returns the offset of the first byte at or after p that is not XML white space.
func skipSpace(buf []byte, p int) int {
	for p < len(buf) && isSpace(buf[p]) {
		p++
	}
	return p
}

// clip returns at most n bytes of b, for quoting in error messages.
func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
