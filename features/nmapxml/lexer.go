package nmapxml

import (
	"bytes"
	"fmt"
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
	tokDoctype         // <!DOCTYPE name ...>; lexer.empty when it is only <!DOCTYPE name>
)

// attr is one attribute of the current start tag; both slices point into the input, and
// val is raw (entity references not decoded yet).
type attr struct {
	name, val []byte
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
	buf   []byte
	pos   int    // offset of the next unread byte
	start int    // offset of the current token
	name  []byte // element name, PI target or DOCTYPE name
	attrs []attr // attributes of the current start tag
	empty bool   // start tag closed itself (<x/>); for DOCTYPE, it has no subset or external id
	text  []byte // text, CDATA or comment content
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
		i := bytes.IndexByte(buf[p:], '<')
		if i < 0 {
			i = len(buf) - p
		}
		l.text = buf[p : p+i]
		l.pos = p + i
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
	l.name = buf[p:n]
	l.attrs = l.attrs[:0]
	p = n
	for {
		sp := p
		for p < len(buf) && isSpace(buf[p]) {
			p++
		}
		if p >= len(buf) {
			return 0, l.eof("<" + string(l.name) + ">")
		}
		switch buf[p] {
		case '>':
			l.empty = false
			l.pos = p + 1
			return tokStart, nil
		case '/':
			if p+1 >= len(buf) {
				return 0, l.eof("<" + string(l.name) + ">")
			}
			if buf[p+1] != '>' {
				return 0, l.fail(p, "expected '>' after '/' in <%s>", l.name)
			}
			l.empty = true
			l.pos = p + 2
			return tokStart, nil
		}
		if sp == p {
			return 0, l.fail(p, "expected space, '>' or '/>' in <%s>, found %q", l.name, buf[p])
		}
		ns := p
		p = scanName(buf, p)
		if p == ns {
			return 0, l.fail(p, "unexpected %q in <%s>", buf[p], l.name)
		}
		name := buf[ns:p]
		for p < len(buf) && isSpace(buf[p]) {
			p++
		}
		if p >= len(buf) {
			return 0, l.eof("<" + string(l.name) + ">")
		}
		if buf[p] != '=' {
			return 0, l.fail(p, "expected '=' after attribute %s in <%s>", name, l.name)
		}
		p++
		for p < len(buf) && isSpace(buf[p]) {
			p++
		}
		if p >= len(buf) {
			return 0, l.eof("<" + string(l.name) + ">")
		}
		q := buf[p]
		if q != '"' && q != '\'' {
			return 0, l.fail(p, "value of attribute %s in <%s> is not quoted", name, l.name)
		}
		p++
		j := bytes.IndexByte(buf[p:], q)
		if j < 0 {
			return 0, l.eof("the value of attribute " + string(name) + " in <" + string(l.name) + ">")
		}
		val := buf[p : p+j]
		if k := bytes.IndexByte(val, '<'); k >= 0 {
			return 0, l.fail(p+k, "'<' in the value of attribute %s in <%s>", name, l.name)
		}
		l.attrs = append(l.attrs, attr{name: name, val: val})
		p += j + 1
	}
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
	l.name = buf[p:n]
	p = n
	for p < len(buf) && isSpace(buf[p]) {
		p++
	}
	if p >= len(buf) {
		return 0, l.eof("</" + string(l.name) + ">")
	}
	if buf[p] != '>' {
		return 0, l.fail(p, "expected '>' in </%s>, found %q", l.name, buf[p])
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
	l.name = buf[p:n]
	end := bytes.Index(buf[n:], []byte("?>"))
	if end < 0 {
		return 0, l.eof("<?" + string(l.name))
	}
	l.text = buf[n : n+end]
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
		l.text = buf[p+4 : p+4+end]
		l.pos = p + 4 + end + 3
		return tokComment, nil
	case bytes.HasPrefix(rest, cdataOpen):
		s := p + len(cdataOpen)
		end := bytes.Index(buf[s:], []byte("]]>"))
		if end < 0 {
			return 0, l.eof("a CDATA section")
		}
		l.text = buf[s : s+end]
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

// doctype reads <!DOCTYPE name and decides whether anything follows the name. Only a bare
// <!DOCTYPE name> is consumed; for anything longer (an external id, an internal subset)
// the parser refuses the document, so the rest is not scanned at all.
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
	l.name = buf[p:n]
	p = n
	for p < len(buf) && isSpace(buf[p]) {
		p++
	}
	if p >= len(buf) {
		return 0, l.eof("<!DOCTYPE")
	}
	l.empty = buf[p] == '>'
	if l.empty {
		l.pos = p + 1
	}
	return tokDoctype, nil
}

// clip returns at most n bytes of b, for quoting in error messages.
func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
