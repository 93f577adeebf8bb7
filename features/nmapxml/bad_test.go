package nmapxml_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/features/nmapxml"
)

// TestRefused feeds Parse what it must refuse and checks the error: nil result, the right
// sentinel, one line naming the file, a line number where one makes sense, and the problem.
func TestRefused(t *testing.T) {
	tests := []struct {
		file string
		want error
		line int    // 0: do not check
		msg  string // substring of the message
	}{
		{"empty.xml", nmapxml.ErrNotNmap, 1, "empty input"},
		{"blank.xml", nmapxml.ErrNotNmap, 0, "empty input"},
		{"binary.bin", nmapxml.ErrNotNmap, 1, "binary.bin: line 1: not nmap XML: "},
		{"gzip.xml.gz", nmapxml.ErrNotNmap, 1, `text "\x1f\x8b\b`},
		{"normal-output.nmap", nmapxml.ErrNotNmap, 1, `not nmap XML: text "# Nmap 7.93 scan`},
		{"grepable.gnmap", nmapxml.ErrNotNmap, 1, "before any element"},
		{"json.json", nmapxml.ErrNotNmap, 1, `text "{\"nmaprun\"`},
		{"html.html", nmapxml.ErrNotNmap, 1, `document type is "html", want nmaprun`},
		{"html-no-doctype.html", nmapxml.ErrNotNmap, 1, "root element is <html>, want <nmaprun>"},
		{"defused-wrong-root.xml", nmapxml.ErrNotNmap, 2, "root element is <root>"},
		{"wrong-root-nmap-like.xml", nmapxml.ErrNotNmap, 2, "root element is <scan>"},
		{"doctype-other.xml", nmapxml.ErrNotNmap, 2, `document type is "svg"`},
		{"defused-external-entity.xml", nmapxml.ErrEntity, 2, "internal subset"},
		{"billion-laughs.xml", nmapxml.ErrEntity, 2, "<!DOCTYPE nmaprun ...>"},
		{"doctype-public-subset.xml", nmapxml.ErrEntity, 2, "internal subset"},
		{"doctype-public-one-literal.xml", nmapxml.ErrEntity, 2, "malformed external identifier"},
		{"entity-in-subset-no-use.xml", nmapxml.ErrEntity, 2, "internal subset"},
		{"unsupported-encoding.xml", nmapxml.ErrMalformed, 1, `encoding "Shift_JIS"`},
		{"truncated-in-root-tag.xml", nmapxml.ErrMalformed, 3, "unexpected end of input"},
		{"truncated-before-first-host-end.xml", nmapxml.ErrMalformed, 9, "truncated before the first complete host"},
		{"mismatched-first-host.xml", nmapxml.ErrMalformed, 9, "end tag </ports> does not close <port>"},
		{"undefined-entity-first-host.xml", nmapxml.ErrMalformed, 9, "undefined entity &xxe;"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "bad", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := nmapxml.Parse(raw, nmapxml.Options{Source: tt.file})
			if err == nil {
				t.Fatalf("Parse accepted it: %d hosts, warnings %q", len(res.Hosts), res.Warnings)
			}
			if res != nil {
				t.Errorf("Parse returned a result along with the error")
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %q is not %v", err, tt.want)
			}
			var pe *nmapxml.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Source != tt.file {
				t.Errorf("ParseError.Source = %q, want %q", pe.Source, tt.file)
			}
			if tt.line != 0 && pe.Line != tt.line {
				t.Errorf("ParseError.Line = %d, want %d (%v)", pe.Line, tt.line, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.file+": ") || strings.ContainsAny(msg, "\n\r") {
				t.Errorf("message %q is not one line starting with the file name", msg)
			}
			if !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q does not say %q", msg, tt.msg)
			}
		})
	}
}

// TestEveryBadFileIsListed keeps TestRefused in step with testdata/bad.
func TestEveryBadFileIsListed(t *testing.T) {
	files, err := os.ReadDir(filepath.Join("testdata", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join("testdata", "bad", f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nmapxml.Parse(raw, nmapxml.Options{Source: f.Name()}); err == nil {
			t.Errorf("testdata/bad/%s was accepted", f.Name())
		}
	}
}

func TestOptionsRefuseNegativeLimits(t *testing.T) {
	raw := []byte(`<nmaprun/>`)
	for _, o := range []nmapxml.Options{{MaxAttrBytes: -1}, {MaxScriptBytes: -5}} {
		if _, err := nmapxml.Parse(raw, o); err == nil || !strings.Contains(err.Error(), "Options.Max") {
			t.Errorf("Parse with %+v: error %v, want one naming the field", o, err)
		}
	}
}
