package intel

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

// KEVEntry is one vulnerability of the CISA Known Exploited Vulnerabilities catalog. Strings
// are trimmed (the catalog has stray trailing spaces, "Microsoft ").
type KEVEntry struct {
	CVE           string // cveID, upper case
	VendorProject string
	Product       string
	Name          string // vulnerabilityName
	DateAdded     time.Time
	DueDate       time.Time // zero when the catalog gives none
	// Ransomware is knownRansomwareCampaignUse, "Known" or "Unknown"; "" in catalogs from
	// before the field existed (late 2022).
	Ransomware string
	CWEs       []string // nil in catalogs from before the field existed
}

// KEV is a CISA KEV catalog. Version and Released come from the JSON catalog header
// (catalogVersion, dateReleased); the CSV has no header, so they stay empty there.
//
// Entries is a plain slice in file order; callers may build a KEV from stored rows with a
// composite literal. Entries must not change after the first call to Lookup or Match, which
// index them once; use a KEV through a pointer (the index must not be copied). A *KEV is
// safe for concurrent use once built.
type KEV struct {
	Version  string
	Released time.Time
	Entries  []KEVEntry

	idx atomic.Pointer[kevIndex]
}

// maxKEVBytes bounds what ReadKEV reads: the real catalog is about 1.5 MB.
const maxKEVBytes = 64 << 20

var cvePattern = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// normCVE upper-cases and trims a CVE id and reports whether it has the CVE-YYYY-NNNN form.
func normCVE(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	return s, cvePattern.MatchString(s)
}

// ReadKEV reads a KEV catalog from r, in the JSON feed format (every shape it has had since
// November 2021) or the official CSV, which it tells apart by the first byte. name is used
// in errors only. A UTF-8 byte order mark and CRLF line ends are accepted.
func ReadKEV(name string, r io.Reader) (*KEV, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxKEVBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read kev %s: %w", name, err)
	}
	if len(data) > maxKEVBytes {
		return nil, &ParseError{File: name, Err: fmt.Errorf("%w: larger than %d bytes, want a KEV catalog", ErrFormat, maxKEVBytes)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return nil, &ParseError{File: name, Err: fmt.Errorf("%w: empty file, want a KEV catalog in JSON or CSV", ErrFormat)}
	case trimmed[0] == '{':
		return readKEVJSON(name, data)
	default:
		return readKEVCSV(name, data)
	}
}

// parseKEVDate reads a catalog date. The feeds write YYYY-MM-DD; copies of the CSV that went
// through a spreadsheet carry M/D/YYYY, which is accepted too.
func parseKEVDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("1/2/2006", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("want a date as YYYY-MM-DD, got %q", s)
}

// entryFields holds one entry's raw values, whatever the input format, so that JSON and CSV
// share validation.
type entryFields struct {
	CVE, Vendor, Product, Name, DateAdded, DueDate, Ransomware string
	CWEs                                                       []string
	hasCWEs                                                    bool
}

// fieldError is a validation problem with one named field of an entry.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }

func (f entryFields) entry() (KEVEntry, error) {
	cve, ok := normCVE(f.CVE)
	if !ok {
		return KEVEntry{}, &fieldError{"cveID", fmt.Errorf("want CVE-YYYY-NNNN, got %q", f.CVE)}
	}
	added, err := parseKEVDate(f.DateAdded)
	if err != nil {
		return KEVEntry{}, &fieldError{"dateAdded", err}
	}
	var due time.Time
	if strings.TrimSpace(f.DueDate) != "" {
		if due, err = parseKEVDate(f.DueDate); err != nil {
			return KEVEntry{}, &fieldError{"dueDate", err}
		}
	}
	e := KEVEntry{
		CVE:           cve,
		VendorProject: strings.TrimSpace(f.Vendor),
		Product:       strings.TrimSpace(f.Product),
		Name:          strings.TrimSpace(f.Name),
		DateAdded:     added,
		DueDate:       due,
		Ransomware:    strings.TrimSpace(f.Ransomware),
	}
	if f.hasCWEs {
		e.CWEs = []string{}
		for _, c := range f.CWEs {
			if c = strings.TrimSpace(c); c != "" {
				e.CWEs = append(e.CWEs, c)
			}
		}
	}
	return e, nil
}

// asParseError turns an entry validation error into a ParseError at line.
func asParseError(name string, line int, err error) error {
	var fe *fieldError
	if errors.As(err, &fe) {
		return &ParseError{File: name, Line: line, Field: fe.field, Err: fe.err}
	}
	return &ParseError{File: name, Line: line, Err: err}
}

// Lookup returns the entry for cve (any case), the first one if the catalog lists it twice.
func (k *KEV) Lookup(cve string) (KEVEntry, bool) {
	id, ok := normCVE(cve)
	if !ok {
		return KEVEntry{}, false
	}
	i, ok := k.index().byCVE[id]
	if !ok {
		return KEVEntry{}, false
	}
	return k.Entries[i], true
}
