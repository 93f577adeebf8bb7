package intel

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// kevColumns are the CSV header names, in the order of the current file. Older files stop
// after dueDate or notes; columns are found by name, never by position.
var kevColumns = []string{"cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded",
	"shortDescription", "requiredAction", "dueDate", "knownRansomwareCampaignUse", "notes", "cwes"}

func readKEVCSV(name string, data []byte) (*KEV, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // checked here, so that the error names the expected count
	header, err := cr.Read()
	if err != nil {
		return nil, csvError(name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, need := range []string{"cveID", "dateAdded"} {
		if _, ok := col[need]; !ok {
			return nil, &ParseError{File: name, Line: 1, Field: need,
				Err: fmt.Errorf("%w: header lacks %s, want a CISA KEV CSV header (%s)", ErrFormat, need, strings.Join(kevColumns, ","))}
		}
	}
	get := func(rec []string, key string) (string, bool) {
		i, ok := col[key]
		if !ok {
			return "", false
		}
		return rec[i], true
	}
	k := &KEV{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, &ParseError{File: name, Line: line,
				Err: fmt.Errorf("want %d fields as in the header, got %d", len(header), len(rec))}
		}
		var f entryFields
		f.CVE, _ = get(rec, "cveID")
		f.Vendor, _ = get(rec, "vendorProject")
		f.Product, _ = get(rec, "product")
		f.Name, _ = get(rec, "vulnerabilityName")
		f.DateAdded, _ = get(rec, "dateAdded")
		f.DueDate, _ = get(rec, "dueDate")
		f.Ransomware, _ = get(rec, "knownRansomwareCampaignUse")
		if cwes, ok := get(rec, "cwes"); ok {
			f.hasCWEs = true
			f.CWEs = strings.FieldsFunc(cwes, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
		}
		e, err := f.entry()
		if err != nil {
			return nil, asParseError(name, line, err)
		}
		k.Entries = append(k.Entries, e)
	}
	return k, nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: name, Line: pe.Line, Err: fmt.Errorf("invalid CSV at column %d: %w", pe.Column, pe.Err)}
	}
	if errors.Is(err, io.EOF) {
		return &ParseError{File: name, Err: fmt.Errorf("%w: no header line", ErrFormat)}
	}
	return &ParseError{File: name, Err: err}
}
