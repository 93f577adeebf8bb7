package inventory

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/riskmap/riskmap"
)

// readCSV reads a CSV table with a header row of Columns (any order, any case; asset_id
// required). Errors name the line and column.
func readCSV(doc *jsonDoc, seq int, sum *FileSummary) ([]built, error) {
	r := csv.NewReader(bytes.NewReader(doc.data))
	header, err := r.Read()
	if err == io.EOF {
		return nil, &ParseError{File: doc.file, Line: 1, Column: 1, Err: fmt.Errorf("%w: the file is empty; expected a header row", ErrMissing)}
	}
	if err != nil {
		return nil, csvError(doc.file, err)
	}
	cols := make([]string, len(header))
	hasID := false
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		cols[i] = h
		for _, prev := range cols[:i] {
			if prev == h {
				line, col := r.FieldPos(i)
				return nil, &ParseError{File: doc.file, Line: line, Column: col, Path: h, Err: fmt.Errorf("%w: column %q appears twice in the header", ErrValue, h)}
			}
		}
		switch {
		case h == "asset_id":
			hasID = true
		case !knownColumn(h):
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s: unknown column %q is ignored", doc.file, h))
		}
	}
	if !hasID {
		return nil, &ParseError{File: doc.file, Line: 1, Column: 1, Path: "asset_id",
			Err: fmt.Errorf("%w: the header has no asset_id column; expected columns %s", ErrMissing, strings.Join(Columns, ","))}
	}
	var out []built
	firstLine := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(doc.file, err)
		}
		line, _ := r.FieldPos(0)
		a := riskmap.Asset{Provider: "csv", Kind: riskmap.KindVM}
		rules := 0
		for i, v := range rec {
			if !knownColumn(cols[i]) {
				continue
			}
			if err := setColumn(&a, cols[i], cell{text: v}); err != nil {
				l, c := r.FieldPos(i)
				return nil, &ParseError{File: doc.file, Line: l, Column: c, Path: cols[i], Err: err}
			}
			if cols[i] == "exposed" {
				rules += len(cell{text: v}.entries())
			}
		}
		if err := checkRow(&a, "csv", line, firstLine); err != nil {
			idCol := 0
			for i, c := range cols {
				if c == "asset_id" {
					idCol = i
				}
			}
			l, c := r.FieldPos(idCol)
			return nil, &ParseError{File: doc.file, Line: l, Column: c, Path: "asset_id", Err: err}
		}
		sum.Rules += rules
		out = append(out, built{asset: a, file: doc.file, seq: seq})
	}
	sum.Assets = len(out)
	return out, nil
}

// checkRow applies what every table row needs: an asset_id that the table names once, and a
// provider (the table format when the row leaves it empty).
func checkRow(a *riskmap.Asset, format string, line int, firstLine map[string]int) error {
	if a.ID == "" {
		return fmt.Errorf("%w: expected a non-empty asset_id", ErrMissing)
	}
	if prev, dup := firstLine[a.ID]; dup {
		return fmt.Errorf("%w: %q is already on line %d", errDuplicateID, a.ID, prev)
	}
	firstLine[a.ID] = line
	if a.Provider == "" {
		a.Provider = format
	}
	return nil
}

func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: file, Line: pe.Line, Column: pe.Column, Err: fmt.Errorf("%w: %w", ErrSyntax, pe.Err)}
	}
	return &ParseError{File: file, Err: fmt.Errorf("%w: %w", ErrSyntax, err)}
}

// readJSONL reads one JSON object per line, keyed by Columns. List columns are arrays of
// strings or ';'-separated strings; tags is an object or a "k=v;k=v" string.
func readJSONL(doc *jsonDoc, seq int, sum *FileSummary) ([]built, error) {
	var out []built
	firstLine := map[string]int{}
	unknown := map[string]bool{}
	for i, raw := range bytes.Split(doc.data, []byte{'\n'}) {
		lineNo := i + 1
		line := &jsonDoc{file: doc.file, data: bytes.TrimRight(raw, "\r")}
		if len(bytes.TrimSpace(line.data)) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := line.decode(&obj); err != nil {
			return nil, atLine(err, lineNo)
		}
		if obj == nil {
			return nil, &ParseError{File: doc.file, Line: lineNo, Column: 1, Err: fmt.Errorf("%w: expected a JSON object", ErrValue)}
		}
		a := riskmap.Asset{Provider: "jsonl", Kind: riskmap.KindVM}
		rules := 0
		for _, k := range sortedKeys(obj) {
			if !knownColumn(k) {
				if !unknown[k] {
					unknown[k] = true
					sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s:%d: unknown key %q is ignored", doc.file, lineNo, k))
				}
				continue
			}
			c, err := jsonCell(obj[k], k)
			if err == nil {
				err = setColumn(&a, k, c)
			}
			if err == nil && k == "exposed" {
				rules += len(c.entries())
			}
			if err != nil {
				_, col := line.posOf(jpath{k})
				return nil, &ParseError{File: doc.file, Line: lineNo, Column: col, Path: k, Err: err}
			}
		}
		if err := checkRow(&a, "jsonl", lineNo, firstLine); err != nil {
			_, col := line.posOf(jpath{"asset_id"})
			return nil, &ParseError{File: doc.file, Line: lineNo, Column: col, Path: "asset_id", Err: err}
		}
		sum.Rules += rules
		out = append(out, built{asset: a, file: doc.file, seq: seq})
	}
	sum.Assets = len(out)
	return out, nil
}

// atLine moves a ParseError found within one JSON Lines line to that line of the file.
func atLine(err error, line int) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		pe.Line = line
	}
	return err
}

// jsonCell converts one JSON value to a cell.
func jsonCell(raw json.RawMessage, col string) (cell, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return cell{}, nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return cell{}, fmt.Errorf("%w: %w", ErrValue, err)
		}
		return cell{text: s}, nil
	case raw[0] == '[' && col != "tags" && isListColumn(col):
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			return cell{}, fmt.Errorf("%w: expected an array of strings", ErrValue)
		}
		return cell{list: list, isList: true}, nil
	case raw[0] == '{' && col == "tags":
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			return cell{}, fmt.Errorf("%w: expected tags as an object of strings", ErrValue)
		}
		return cell{tags: m, isTags: true}, nil
	}
	switch {
	case col == "tags":
		return cell{}, fmt.Errorf("%w: expected an object of strings or a \"k=v;k=v\" string", ErrValue)
	case isListColumn(col):
		return cell{}, fmt.Errorf("%w: expected an array of strings or a ';'-separated string", ErrValue)
	}
	return cell{}, fmt.Errorf("%w: expected a string", ErrValue)
}

func isListColumn(col string) bool {
	switch col {
	case "private_ips", "public_ips", "dns_names", "security_groups", "exposed":
		return true
	}
	return false
}
