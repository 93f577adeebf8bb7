package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// jsonEntry mirrors one element of the feed's "vulnerabilities" array. Fields added over the
// years (notes, knownRansomwareCampaignUse, cwes) are simply absent from older catalogs;
// unknown fields are ignored so that a future field does not break reading.
type jsonEntry struct {
	CVE        string    `json:"cveID"`
	Vendor     string    `json:"vendorProject"`
	Product    string    `json:"product"`
	Name       string    `json:"vulnerabilityName"`
	DateAdded  string    `json:"dateAdded"`
	DueDate    string    `json:"dueDate"`
	Ransomware string    `json:"knownRansomwareCampaignUse"`
	CWEs       *[]string `json:"cwes"`
}

// readKEVJSON walks the catalog object token by token so that every error can name the line
// of the entry it is about.
func readKEVJSON(name string, data []byte) (*KEV, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(err error) error { return jsonError(name, data, dec, err) }
	if _, err := dec.Token(); err != nil { // the opening brace, checked by the caller
		return nil, fail(err)
	}
	k := &KEV{}
	sawList := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		key, _ := tok.(string)
		keyLine := lineAt(data, dec.InputOffset())
		switch key {
		case "catalogVersion":
			if err := dec.Decode(&k.Version); err != nil {
				return nil, fail(err)
			}
			k.Version = strings.TrimSpace(k.Version)
		case "dateReleased":
			var s string
			if err := dec.Decode(&s); err != nil {
				return nil, fail(err)
			}
			t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
			if err != nil {
				return nil, &ParseError{File: name, Line: keyLine, Field: "dateReleased",
					Err: fmt.Errorf("want an RFC 3339 time such as 2025-02-25T20:33:53.3676Z, got %q", s)}
			}
			k.Released = t
		case "vulnerabilities":
			sawList = true
			if err := readJSONEntries(name, data, dec, k); err != nil {
				return nil, err
			}
		default: // title, count and any later addition
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fail(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fail(err)
	}
	if !sawList {
		return nil, &ParseError{File: name, Field: "vulnerabilities",
			Err: fmt.Errorf("%w: no vulnerabilities array, want a CISA KEV catalog", ErrFormat)}
	}
	return k, nil
}

func readJSONEntries(name string, data []byte, dec *json.Decoder, k *KEV) error {
	fail := func(err error) error { return jsonError(name, data, dec, err) }
	tok, err := dec.Token()
	if err != nil {
		return fail(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return &ParseError{File: name, Line: lineAt(data, dec.InputOffset()), Field: "vulnerabilities",
			Err: fmt.Errorf("want an array, got %v", tok)}
	}
	for dec.More() {
		line := lineAt(data, dec.InputOffset())
		var je jsonEntry
		if err := dec.Decode(&je); err != nil {
			return fail(err)
		}
		f := entryFields{CVE: je.CVE, Vendor: je.Vendor, Product: je.Product, Name: je.Name,
			DateAdded: je.DateAdded, DueDate: je.DueDate, Ransomware: je.Ransomware}
		if je.CWEs != nil {
			f.CWEs, f.hasCWEs = *je.CWEs, true
		}
		e, err := f.entry()
		if err != nil {
			return asParseError(name, line, err)
		}
		k.Entries = append(k.Entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return fail(err)
	}
	return nil
}

// jsonError places a decoding error on its line.
func jsonError(name string, data []byte, dec *json.Decoder, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &ParseError{File: name, Line: lineAt(data, syn.Offset), Err: fmt.Errorf("invalid JSON: %w", err)}
	case errors.As(err, &typ):
		return &ParseError{File: name, Line: lineAt(data, typ.Offset), Field: typ.Field,
			Err: fmt.Errorf("want a JSON %s, got %s", typ.Type, typ.Value)}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &ParseError{File: name, Line: lineAt(data, int64(len(data))),
			Err: fmt.Errorf("catalog ends early (truncated download?): %w", io.ErrUnexpectedEOF)}
	}
	return &ParseError{File: name, Line: lineAt(data, dec.InputOffset()), Err: err}
}
