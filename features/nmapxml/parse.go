package nmapxml

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/riskmap/riskmap"
)

// Result is what one nmap XML document holds, as riskmap's domain types. Its ScanID
// fields are all Scan.ID; AssetID is left empty for the caller to join by IP. A host's
// ScanTime (and its observations') is the host's starttime when nmap wrote one, else the
// scan's start. Every string is valid UTF-8 (anything else in the file becomes U+FFFD).
type Result struct {
	Scan riskmap.Scan
	// Hosts lists every host element that was complete, in file order, one per address
	// (repeated elements for one address are merged). Down hosts are here too.
	Hosts []riskmap.Host
	// Observations lists the ports of the hosts that are not down, in file order, one per
	// address, protocol and port; every IP here is the IP of a host in Hosts, and
	// Observation.OSMatch is its host's best OS match.
	Observations []riskmap.Observation
	// Warnings says what was cut, skipped, merged or missing, one line each, naming the
	// source and line. At most MaxWarnings+1 lines.
	Warnings []string
}

// ScanID is the lowercase hex SHA-256 of the raw file bytes (64 characters): the same file
// always gets the same scan id, so ingesting it twice changes nothing.
func ScanID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Parse reads one nmap XML document (any nmap version from 2.x to 7.9x, and masscan's
// nmap-style XML) held in raw. It never keeps a reference to raw.
//
// A document that ends, or breaks XML's rules, after its first complete host is kept up to
// its last complete host, marked incomplete (Scan.Complete false), with a warning naming
// the line where it stopped. One that is not nmap XML, is malformed before the first
// complete host, or carries a DOCTYPE with declarations is refused: Parse returns a nil
// Result and a *ParseError wrapping ErrNotNmap, ErrMalformed or ErrEntity.
//
// The only other error is an invalid Options value.
func Parse(raw []byte, opts Options) (*Result, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	buf, err := toUTF8(raw)
	if err != nil {
		return nil, &ParseError{Source: o.Source, Line: 1, Err: err}
	}
	// Hashing a large file takes a tenth of the parse: do it on another core meanwhile.
	id := make(chan string, 1)
	if len(raw) >= 1<<20 {
		go func() { id <- ScanID(raw) }()
	} else {
		id <- ScanID(raw)
	}
	// Looking for invalid bytes costs about a twentieth of the parse: another core, too.
	bad := make(chan [2]int, 1)
	if len(buf) >= 1<<20 {
		go func() { f, n := invalidBytes(buf); bad <- [2]int{f, n} }()
	} else {
		f, n := invalidBytes(buf)
		bad <- [2]int{f, n}
	}
	p := &parser{
		lx:       lexer{buf: buf},
		opts:     o,
		res:      &Result{},
		intern:   make(map[string]string, 256),
		hosts:    make(map[string]int),
		portSeen: make(map[portKey]struct{}),
	}
	p.res.Scan.Source = o.Source
	p.presize()
	err = p.prolog()
	if err == nil {
		err = p.body()
	}
	p.res.Scan.ID = <-id
	if err != nil {
		return nil, err
	}
	p.warnInvalid(<-bad)
	p.finish()
	return p.res, nil
}

// parser walks the token stream of one document into a Result.
type parser struct {
	lx   lexer
	opts Options
	res  *Result

	intern  map[string]string // short repeated values (states, services, products)
	recent  [1024]string      // direct-mapped cache in front of intern
	scratch []byte            // decoding buffer, reused
	stack   [][2]int          // open elements while skipping: name offsets

	hosts     map[string]int // IP -> index in res.Hosts
	merged    int            // host elements merged into an earlier one of the same IP
	noIP      int            // hosts kept under a placeholder identity so far
	portOffs  []int          // offsets of the <port> elements of the host being read
	portSeen  map[portKey]struct{}
	hostsDone int  // complete <host> elements seen
	hostStart int  // offset of the <host> being read
	inHost    bool // reading a <host> element

	cpes        slab[string]         // backing store for Observation.CPEs
	portScripts slab[riskmap.Script] // backing store for Observation.Scripts
	tbuf, sbuf  []byte               // text and structured-script buffers, reused

	started    time.Time
	runstats   bool
	haveCounts bool
	up, down   int
	exit       string
	closed     bool // </nmaprun> (or <nmaprun/>) reached
	truncated  bool // stopped early: EOF or malformed after a complete host
	suppressed int  // warnings beyond MaxWarnings
	lineOff    int  // line cache for warnings: line number of offset lineOff
	lineAtOff  int
}

// fatalError stops the parse whatever was read before: DTD tricks are never tolerated.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }

// presize reserves room for the hosts and ports the document seems to hold, so that large
// scans do not copy their slices over and over. It counts in the first 4 MiB and scales up;
// the estimate is bounded by the input size (a real <port> element is well over 64 bytes),
// so hostile input cannot make it balloon, and a low one only means append grows later.
func (p *parser) presize() {
	buf := p.lx.buf
	if len(buf) < 1<<16 {
		return
	}
	sample := buf[:min(len(buf), 4<<20)]
	scale := func(n int) int { return int(float64(n) * float64(len(buf)) / float64(len(sample)) * 1.02) }
	ports := min(scale(bytes.Count(sample, []byte("<port "))), len(buf)/64)
	hosts := min(scale(bytes.Count(sample, []byte("<host"))), len(buf)/128)
	p.res.Observations = make([]riskmap.Observation, 0, ports)
	p.res.Hosts = make([]riskmap.Host, 0, hosts)
	p.hosts = make(map[string]int, hosts)
}

// line returns the 1-based line of byte offset off. Offsets asked for mostly grow, so it
// counts from the last answer when it can.
func (p *parser) line(off int) int {
	buf := p.lx.buf
	off = min(max(off, 0), len(buf))
	if p.lineAtOff == 0 || off < p.lineOff {
		p.lineOff, p.lineAtOff = 0, 1
	}
	p.lineAtOff += bytes.Count(buf[p.lineOff:off], []byte{'\n'})
	p.lineOff = off
	return p.lineAtOff
}

func (p *parser) source() string {
	if p.opts.Source == "" {
		return "<input>"
	}
	return p.opts.Source
}

// warn records a warning about byte offset off.
func (p *parser) warn(off int, format string, args ...any) {
	if len(p.res.Warnings) >= MaxWarnings {
		p.suppressed++
		return
	}
	p.res.Warnings = append(p.res.Warnings,
		fmt.Sprintf("%s: line %d: %s", p.source(), p.line(off), fmt.Sprintf(format, args...)))
}

// refuse builds the error Parse returns for a document it will not read.
func (p *parser) refuse(off int, sentinel error, format string, args ...any) error {
	return &ParseError{Source: p.opts.Source, Line: p.line(off),
		Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}

// prolog reads up to and including the root start tag, which must be <nmaprun>.
func (p *parser) prolog() error {
	lx := &p.lx
	seen := false // any markup yet: decides between "not XML" and "malformed"
	for {
		k, err := lx.next()
		if err != nil {
			var se *syntaxError
			errors.As(err, &se)
			if !seen {
				return p.refuse(se.off, ErrNotNmap, "%s", se.msg)
			}
			what := "malformed"
			if se.eof {
				what = "truncated"
			}
			return p.refuse(se.off, ErrMalformed, "%s before the first complete host: %s", what, se.msg)
		}
		switch k {
		case tokEOF:
			if !seen {
				return p.refuse(lx.start, ErrNotNmap, "empty input: no XML at all")
			}
			return p.refuse(lx.start, ErrNotNmap, "no root element: not an nmap XML document")
		case tokText:
			if t := bytes.TrimLeft(lx.text(), " \t\r\n"); len(t) > 0 {
				off := lx.start + len(lx.text()) - len(t)
				return p.refuse(off, ErrNotNmap, "text %q before any element", clip(t, 24))
			}
		case tokComment:
			seen = true
		case tokPI:
			if string(lx.tag()) == "xml" && lx.start != 0 {
				return p.refuse(lx.start, ErrMalformed, "XML declaration <?xml ...?> not at the start of the input")
			}
			seen = true
		case tokDoctype:
			if !lx.empty {
				return p.refuse(lx.start, ErrEntity, "<!DOCTYPE %s ...> has an internal subset or a malformed external identifier; nmap writes only <!DOCTYPE nmaprun> or <!DOCTYPE nmaprun PUBLIC \"...\" \"...\">", clip(lx.tag(), 40))
			}
			if string(lx.tag()) != "nmaprun" {
				return p.refuse(lx.start, ErrNotNmap, "document type is %q, want nmaprun", clip(lx.tag(), 40))
			}
			seen = true
		case tokCDATA:
			return p.refuse(lx.start, ErrNotNmap, "CDATA section before the root element")
		case tokEnd:
			return p.refuse(lx.start, ErrNotNmap, "end tag </%s> before any element", clip(lx.tag(), 40))
		case tokStart:
			if string(lx.tag()) != "nmaprun" {
				return p.refuse(lx.start, ErrNotNmap, "root element is <%s>, want <nmaprun>", clip(lx.tag(), 40))
			}
			if err := p.nmaprun(); err != nil {
				return p.refuse(lx.start, ErrMalformed, "%v", err)
			}
			if lx.empty {
				p.closed = true
			}
			return nil
		}
	}
}

// body reads the children of <nmaprun> up to its end tag. It returns an error only when the
// document is refused; a document that stops after a complete host is kept (see stop).
func (p *parser) body() error {
	lx := &p.lx
	if p.closed {
		return p.trailer()
	}
	for {
		k, err := lx.next()
		if err != nil {
			return p.stop(err)
		}
		switch k {
		case tokEOF:
			return p.stop(lx.eof("<nmaprun>"))
		case tokStart:
			switch string(lx.tag()) {
			case "host":
				err = p.host()
			case "runstats":
				err = p.runstatsElem()
			default: // scaninfo, verbose, debugging, task*, hosthint, prescript, ...
				err = p.skip()
			}
			if err != nil {
				return p.stop(err)
			}
		case tokEnd:
			if string(lx.tag()) != "nmaprun" {
				return p.stop(lx.fail(lx.start, "end tag </%s> does not close <nmaprun>", lx.tag()))
			}
			p.closed = true
			return p.trailer()
		case tokDoctype:
			return p.stop(&fatalError{p.refuse(lx.start, ErrEntity, "<!DOCTYPE> inside the document")})
		}
	}
}

// stop decides what an error inside <nmaprun> means. Before the first complete host the
// document is refused; after it, what was read stands, marked incomplete, with a warning.
func (p *parser) stop(err error) error {
	var fe *fatalError
	if errors.As(err, &fe) {
		return fe.err
	}
	var se *syntaxError
	if !errors.As(err, &se) {
		return &ParseError{Source: p.opts.Source, Err: fmt.Errorf("%w: %v", ErrMalformed, err)}
	}
	what := "malformed"
	if se.eof {
		what = "truncated"
	}
	if p.hostsDone == 0 {
		return p.refuse(se.off, ErrMalformed, "%s before the first complete host: %s", what, se.msg)
	}
	p.truncated = true
	partial := ""
	if p.inHost {
		partial = fmt.Sprintf(" and dropped the partial host that starts at line %d", p.line(p.hostStart))
	}
	p.warn(se.off, "%s scan: %s; kept %d complete host element(s)%s", what, se.msg, p.hostsDone, partial)
	return nil
}

// trailer reads what follows </nmaprun>: only blanks, comments and processing
// instructions belong there.
func (p *parser) trailer() error {
	lx := &p.lx
	for {
		k, err := lx.next()
		if err != nil {
			var se *syntaxError
			errors.As(err, &se)
			p.warn(se.off, "content after </nmaprun> ignored: %s", se.msg)
			return nil
		}
		switch k {
		case tokEOF:
			return nil
		case tokComment, tokPI:
		case tokText:
			if len(bytes.TrimSpace(lx.text())) == 0 {
				continue
			}
			p.warn(lx.start, "content after </nmaprun> ignored")
			return nil
		case tokDoctype:
			if !lx.empty {
				return p.refuse(lx.start, ErrEntity, "<!DOCTYPE %s ...> with declarations after the document", clip(lx.tag(), 40))
			}
			p.warn(lx.start, "content after </nmaprun> ignored")
			return nil
		default:
			// nmap --append-output writes a second <nmaprun> after the first one.
			p.warn(lx.start, "content after </nmaprun> ignored (a second run appended to the file?)")
			return nil
		}
	}
}
