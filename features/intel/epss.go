package intel

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// EPSSScore is one CVE's score in a FIRST EPSS file: the probability of exploitation activity
// in the next 30 days, and its percentile among all scored CVEs, both in [0, 1].
type EPSSScore struct {
	EPSS       float64
	Percentile float64
}

// EPSS is one day's EPSS scores. ModelVersion and ScoreDate come from the leading comment
// line (#model_version:v2025.03.14,score_date:...); files from before that line existed leave
// them empty. Scores is keyed by upper-case CVE id.
type EPSS struct {
	ModelVersion string
	ScoreDate    time.Time
	Scores       map[string]EPSSScore
}

// Lookup returns the EPSS probability of cve (any case). Its signature is the one
// findings.Rules.Evaluate takes, so that scores join at evaluation time.
func (e *EPSS) Lookup(cve string) (float64, bool) {
	if e == nil {
		return 0, false
	}
	id, _ := normCVE(cve)
	s, ok := e.Scores[id]
	return s.EPSS, ok
}

// ReadEPSS reads a FIRST EPSS CSV (epss_scores-YYYY-MM-DD.csv), plain or gzip-compressed
// (recognised by its magic bytes, whatever the name). name is used in errors only. Rows may
// come in any order: the file sorts CVE ids as text, so nothing here assumes numeric order.
// The percentile column is optional (the first files of 2021 lacked it).
func ReadEPSS(name string, r io.Reader) (*EPSS, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &ParseError{File: name, Err: fmt.Errorf("gzip: %w", err)}
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	out := &EPSS{Scores: map[string]EPSSScore{}}
	skipped := 0
	if b, err := br.Peek(1); err == nil && b[0] == '#' {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, &ParseError{File: name, Line: 1, Err: err}
		}
		if err := out.parseComment(strings.TrimRight(line, "\r\n")); err != nil {
			return nil, &ParseError{File: name, Line: 1, Err: err}
		}
		skipped = 1
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{File: name, Line: skipped + 1, Err: fmt.Errorf("%w: no header, want cve,epss,percentile", ErrFormat)}
		}
		return nil, epssCSVError(name, skipped, err)
	}
	col := map[string]int{"percentile": -1}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	iCVE, okCVE := col["cve"]
	iEPSS, okEPSS := col["epss"]
	if !okCVE || !okEPSS {
		return nil, &ParseError{File: name, Line: skipped + 1,
			Err: fmt.Errorf("%w: header %q, want cve,epss,percentile", ErrFormat, strings.Join(header, ","))}
	}
	iPct := col["percentile"]
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, epssCSVError(name, skipped, err)
		}
		line, _ := cr.FieldPos(0)
		line += skipped
		if len(rec) != len(header) {
			return nil, &ParseError{File: name, Line: line, Err: fmt.Errorf("want %d fields as in the header, got %d", len(header), len(rec))}
		}
		cve, ok := normCVE(rec[iCVE])
		if !ok {
			return nil, &ParseError{File: name, Line: line, Field: "cve", Err: fmt.Errorf("want CVE-YYYY-NNNN, got %q", rec[iCVE])}
		}
		var s EPSSScore
		if s.EPSS, err = probability(rec[iEPSS]); err != nil {
			return nil, &ParseError{File: name, Line: line, Field: "epss", Err: err}
		}
		if iPct >= 0 {
			if s.Percentile, err = probability(rec[iPct]); err != nil {
				return nil, &ParseError{File: name, Line: line, Field: "percentile", Err: err}
			}
		}
		if _, dup := out.Scores[cve]; dup {
			return nil, &ParseError{File: name, Line: line, Field: "cve", Err: fmt.Errorf("%s is listed twice, want one row per CVE", cve)}
		}
		out.Scores[cve] = s
	}
	return out, nil
}

func probability(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < 0 || v > 1 || v != v {
		return 0, fmt.Errorf("want a number in [0, 1], got %q", s)
	}
	return v, nil
}

// parseComment reads "#model_version:v2025.03.14,score_date:2025-06-01T00:00:00+0000". Keys
// it does not know are ignored so that a new one does not break reading.
func (e *EPSS) parseComment(line string) error {
	for _, part := range strings.Split(strings.TrimPrefix(line, "#"), ",") {
		key, val, ok := strings.Cut(part, ":")
		if !ok {
			return fmt.Errorf("comment part %q: want key:value as in #model_version:v2025.03.14,score_date:2025-06-01T00:00:00+0000", part)
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "model_version":
			e.ModelVersion = val
		case "score_date":
			t, err := parseScoreDate(val)
			if err != nil {
				return err
			}
			e.ScoreDate = t
		}
	}
	return nil
}

func parseScoreDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("score_date %q: want a time such as 2025-06-01T00:00:00+0000", s)
}

func epssCSVError(name string, skipped int, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: name, Line: pe.Line + skipped, Err: fmt.Errorf("invalid CSV at column %d: %w", pe.Column, pe.Err)}
	}
	return &ParseError{File: name, Err: err}
}
