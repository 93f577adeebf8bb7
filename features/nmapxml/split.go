package nmapxml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Part is one standalone piece of a document that Split cut: an nmap XML document of its
// own (the original's prolog and <nmaprun> start tag, a run of its <host> elements, and its
// closing <runstats> and </nmaprun>), which Parse reads like any scan.
type Part struct {
	Doc       []byte // the part's bytes; valid until the emit callback returns
	Index     int    // 0-based
	FirstLine int    // line of the original document where the part's first host starts
	Last      bool   // the part that holds the end of the original document
}

// ErrNoSplit means the input is not a document Split can cut (no <host> element found, or
// not UTF-8 or a single-byte encoding); the caller reads it whole instead.
var ErrNoSplit = errors.New("nmapxml: document cannot be split")

// Split cuts one large nmap XML document, read from r, into standalone parts of about
// partBytes of <host> elements each (a single larger host makes a part of its own), and calls
// emit for each in order, so that a caller can ingest a scan of millions of hosts in memory
// that depends on partBytes, not on the file. Only a window of the input is held at a time.
//
// Every part repeats the original's prolog, and ends with the original's trailer (what
// follows the last </host>: <runstats> without its host counts, so that each part counts its
// own hosts, and </nmaprun>), which Split reads first from the end of r. A part is cut only
// after a "</host>" (nmap never writes one inside comments or values); a document that ends
// early leaves its last part truncated, which Parse reports as it does for any file.
//
// It returns ErrNoSplit (before emitting anything) for input it cannot cut, and the first
// error of r or emit.
func Split(r io.ReaderAt, size int64, partBytes int, emit func(Part) error) error {
	if partBytes <= 0 {
		return fmt.Errorf("nmapxml: Split: partBytes %d: want > 0", partBytes)
	}
	head := make([]byte, min(size, 1<<20))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return fmt.Errorf("%w: UTF-16", ErrNoSplit)
	}
	hostAt := firstHost(head)
	if hostAt < 0 {
		return fmt.Errorf("%w: no <host> in the first MiB", ErrNoSplit)
	}
	prolog := head[:hostAt]
	trailer, closed, err := readTrailer(r, size)
	if err != nil {
		return err
	}
	// all holds the prolog, then the window: bytes [base, base+len(all)-P) of the input, from
	// the first host on. Parts are made in place (the trailer written after the window's cut,
	// what it covers saved and put back), so that the input is held once, not copied.
	P := len(prolog)
	all := append(make([]byte, 0, P+partBytes+len(trailer)+1<<20), prolog...)
	base, line := int64(hostAt), 1+bytes.Count(prolog, []byte{'\n'})
	eof := false
	for index := 0; ; index++ {
		for !eof && (len(all)-P < partBytes || bytes.Index(all[P:], hostEnd) < 0) {
			if cap(all)-len(all) < 1<<20 {
				// One host larger than a part: find where it ends first, and grow once to
				// hold it, rather than doubling (and keeping the copies) on the way.
				end, err := nextHostEnd(r, base+int64(len(all)-P), size)
				if err != nil {
					return err
				}
				grown := make([]byte, len(all), P+int(end-base)+len(trailer)+1<<20)
				copy(grown, all)
				all = grown
			}
			n, err := r.ReadAt(all[len(all):cap(all)], base+int64(len(all)-P))
			all = all[:len(all)+n]
			switch {
			case errors.Is(err, io.EOF) || base+int64(len(all)-P) >= size:
				eof = true
			case err != nil:
				return err
			}
		}
		win := all[P:]
		first := line + bytes.Count(win[:max(0, firstHost(win))], []byte{'\n'})
		cut := -1
		if !eof || len(win) > partBytes {
			if i := bytes.LastIndex(win[:min(len(win), partBytes)], hostEnd); i >= 0 {
				cut = i + len(hostEnd)
			} else if i := bytes.Index(win, hostEnd); i >= 0 {
				cut = i + len(hostEnd)
			}
		}
		if cut < 0 || (eof && bytes.Index(win[cut:], hostEnd) < 0) {
			// The last part: the rest of the input.
			doc := all // the whole document as it is, or a truncated one: Parse says where
			if index > 0 && closed {
				doc = append(all[:P+bytes.LastIndex(win, hostEnd)+len(hostEnd)], trailer...)
			}
			return emit(Part{Doc: doc, Index: index, FirstLine: first, Last: true})
		}
		end := P + cut
		saved := append([]byte(nil), all[end:min(len(all), end+len(trailer))]...)
		n := len(all)
		if err := emit(Part{Doc: append(all[:end], trailer...), Index: index, FirstLine: first}); err != nil {
			return err
		}
		all = all[:n]
		copy(all[end:], saved)
		line += bytes.Count(win[:cut], []byte{'\n'})
		base += int64(cut)
		all = all[:P+copy(all[P:], all[end:])]
	}
}

var hostEnd = []byte("</host>")

// nextHostEnd returns the offset just after the first "</host>" at or after from (looking
// a few bytes back, for one that a read boundary cut), or size when there is none; it reads
// a MiB at a time and keeps nothing.
func nextHostEnd(r io.ReaderAt, from, size int64) (int64, error) {
	probe := make([]byte, 1<<20)
	for off := max(0, from-int64(len(hostEnd))); off < size; off += int64(len(probe) - len(hostEnd)) {
		n, err := r.ReadAt(probe, off)
		if i := bytes.Index(probe[:n], hostEnd); i >= 0 {
			return off + int64(i+len(hostEnd)), nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if n < len(probe) {
			break
		}
	}
	return size, nil
}

// firstHost returns the offset of the first <host> start tag (not <hosthint>) in b, or -1.
func firstHost(b []byte) int {
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte("<host"))
		if i < 0 {
			return -1
		}
		j := off + i + len("<host")
		if j < len(b) && (isSpace(b[j]) || b[j] == '>' || b[j] == '/') {
			return off + i
		}
		off = j
	}
}

// readTrailer returns what follows the last </host> of the input (read from its last MiB),
// with the <hosts up= down= total=/> element of <runstats> removed so that each part counts
// its own hosts, and whether the input ends with a closed document; when it does not, the
// trailer is a bare "</nmaprun>".
func readTrailer(r io.ReaderAt, size int64) ([]byte, bool, error) {
	n := min(size, 1<<20)
	tail := make([]byte, n)
	if _, err := r.ReadAt(tail, size-n); err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	i := bytes.LastIndex(tail, hostEnd)
	if i < 0 || !bytes.Contains(tail[i:], []byte("</nmaprun>")) {
		return []byte("</nmaprun>\n"), false, nil
	}
	t := append([]byte{}, tail[i+len(hostEnd):]...)
	if h := bytes.Index(t, []byte("<hosts ")); h >= 0 {
		if e := bytes.Index(t[h:], []byte("/>")); e >= 0 {
			t = append(t[:h], t[h+e+2:]...)
		}
	}
	return t, true, nil
}
