package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// jpath is a JSON path from the document root: string elements are object keys, int
// elements array indices.
type jpath []any

// at returns a copy of p extended by elems, so that paths built in loops never share storage.
func (p jpath) at(elems ...any) jpath {
	out := make(jpath, 0, len(p)+len(elems))
	return append(append(out, p...), elems...)
}

func (p jpath) String() string {
	var b strings.Builder
	for _, el := range p {
		switch el := el.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", el)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(el)
		}
	}
	return b.String()
}

// jsonDoc is one JSON input being read: its name and bytes, kept so that errors found after
// decoding can still be given a line and column.
type jsonDoc struct {
	file string
	data []byte
}

// decode unmarshals the whole document into v, mapping encoding/json errors to ParseErrors.
// Trailing data after the first value is an error.
func (d *jsonDoc) decode(v any) error {
	dec := json.NewDecoder(bytes.NewReader(d.data))
	if err := dec.Decode(v); err != nil {
		return d.wrap(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		line, col := lineCol(d.data, dec.InputOffset())
		return &ParseError{File: d.file, Line: line, Column: col,
			Err: fmt.Errorf("%w: unexpected data after the JSON value", ErrSyntax)}
	}
	return nil
}

// decodeAt decodes raw, the value found at path in d, reporting errors at their position
// in d and with path in front of the field.
func (d *jsonDoc) decodeAt(path jpath, raw json.RawMessage, v any) error {
	sub := &jsonDoc{file: d.file, data: raw}
	err := sub.decode(v)
	var pe *ParseError
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	base, ok := locate(d.data, path)
	if !ok {
		return err
	}
	bl, bc := lineCol(d.data, base)
	if pe.Line == 1 {
		pe.Column += bc - 1
	}
	if pe.Line > 0 {
		pe.Line += bl - 1
	}
	switch {
	case pe.Path == "":
		pe.Path = path.String()
	case strings.HasPrefix(pe.Path, "["):
		pe.Path = path.String() + pe.Path
	default:
		pe.Path = path.String() + "." + pe.Path
	}
	return pe
}

// wrap turns an encoding/json error into a ParseError that names the position.
func (d *jsonDoc) wrap(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, the offending one included.
		line, col := lineCol(d.data, syn.Offset-1)
		return &ParseError{File: d.file, Line: line, Column: col,
			Err: fmt.Errorf("%w: not valid JSON: %s", ErrSyntax, syn.Error())}
	case errors.As(err, &typ):
		// encoding/json names the field without array indices and counts the offset past
		// the value; walking the tokens again finds the indexed path and where the value starts.
		field, off := typ.Field, typ.Offset
		if p, start, ok := pathAt(d.data, typ.Offset); ok {
			field, off = p.String(), start
		}
		line, col := lineCol(d.data, off)
		return &ParseError{File: d.file, Line: line, Column: col, Path: field,
			Err: fmt.Errorf("%w: expected %s, got a JSON %s", ErrValue, describeType(typ.Type), typ.Value)}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		line, col := lineCol(d.data, int64(len(d.data)))
		return &ParseError{File: d.file, Line: line, Column: col,
			Err: fmt.Errorf("%w: unexpected end of input", ErrSyntax)}
	}
	return &ParseError{File: d.file, Err: fmt.Errorf("%w: %w", ErrSyntax, err)}
}

// errAt builds a ParseError for path. When the value at path is absent (a missing field), the
// position is that of the nearest enclosing value that exists.
func (d *jsonDoc) errAt(path jpath, sentinel error, format string, args ...any) error {
	line, col := d.posOf(path)
	return &ParseError{File: d.file, Line: line, Column: col, Path: path.String(),
		Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}

// posOf returns the line and column of the value at path, or of its nearest enclosing value
// that exists.
func (d *jsonDoc) posOf(path jpath) (line, col int) {
	for p := path; ; p = p[:len(p)-1] {
		if off, ok := locate(d.data, p); ok {
			return lineCol(d.data, off)
		}
		if len(p) == 0 {
			return 0, 0
		}
	}
}

func (d *jsonDoc) missing(path jpath, expected string) error {
	return d.errAt(path, ErrMissing, "expected %s", expected)
}

// describeType names a Go type the way a user writing JSON thinks of it.
func describeType(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return "a " + t.String()
}

// lineCol converts a byte offset into a 1-based line and byte column.
func lineCol(data []byte, off int64) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// locate returns the byte offset where the value at path starts. It walks the tokens again,
// which is only done when reporting an error.
func locate(data []byte, path jpath) (int64, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	for _, el := range path {
		tok, err := dec.Token()
		if err != nil {
			return 0, false
		}
		switch el := el.(type) {
		case string:
			if tok != json.Delim('{') {
				return 0, false
			}
			found := false
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return 0, false
				}
				if ks, _ := k.(string); strings.EqualFold(ks, el) {
					found = true
					break
				}
				if skipValue(dec) != nil {
					return 0, false
				}
			}
			if !found {
				return 0, false
			}
		case int:
			if tok != json.Delim('[') {
				return 0, false
			}
			for i := 0; i < el; i++ {
				if !dec.More() || skipValue(dec) != nil {
					return 0, false
				}
			}
			if !dec.More() {
				return 0, false
			}
		}
	}
	off := dec.InputOffset()
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n:,", data[off]) >= 0 {
		off++
	}
	return off, true
}

// pathAt finds the value that ends at or spans byte offset off: its path and the offset
// where it starts.
func pathAt(data []byte, off int64) (jpath, int64, bool) {
	type frame struct {
		array   bool
		index   int
		key     string
		wantKey bool
	}
	var stack []frame
	done := func() { // a value has ended: move its container on
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].wantKey = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, 0, false
		}
		cur := dec.InputOffset()
		n := len(stack)
		if k, isStr := tok.(string); isStr && n > 0 && !stack[n-1].array && stack[n-1].wantKey {
			stack[n-1].key, stack[n-1].wantKey = k, false
			prev = cur
			continue
		}
		if tok == json.Delim('}') || tok == json.Delim(']') {
			stack = stack[:n-1]
			done()
			prev = cur
			continue
		}
		if cur >= off {
			var p jpath
			for _, f := range stack {
				if f.array {
					p = append(p, f.index)
				} else {
					p = append(p, f.key)
				}
			}
			for prev < int64(len(data)) && strings.IndexByte(" \t\r\n:,", data[prev]) >= 0 {
				prev++
			}
			return p, prev, true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{wantKey: true})
		case json.Delim('['):
			stack = append(stack, frame{array: true})
		default:
			done()
		}
		prev = cur
	}
}

// skipValue consumes one whole value from dec.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// rawString decodes a JSON string or number (GCP ids are strings, but some tools print them
// as numbers) into its text. ok is false for any other JSON type.
func rawString(raw json.RawMessage) (s string, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", true
	}
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err == nil {
		return string(raw), true
	}
	return "", false
}
