package nmapxml

import "fmt"

// Defaults for the zero Options fields.
const (
	DefaultMaxAttrBytes   = 64 << 10
	DefaultMaxScriptBytes = 16 << 10
	// MaxWarnings is how many warnings a Result lists; the rest are counted in a last one.
	MaxWarnings = 100
)

// TruncationMarker ends every script output that Parse cut at Options.MaxScriptBytes, so
// that readers can tell a cut output from a short one.
const TruncationMarker = " [riskmap: output truncated]"

// Options tune Parse. The zero value is ready to use.
type Options struct {
	// Source names the input in errors, warnings and Scan.Source (usually the file name).
	Source string
	// MaxAttrBytes bounds every attribute value Parse keeps (args, product, hostnames, ...),
	// after entity decoding. Longer values are cut, with a warning. 0 means
	// DefaultMaxAttrBytes (64 KiB).
	MaxAttrBytes int
	// MaxScriptBytes bounds each NSE script output Parse keeps. Longer outputs are cut and
	// end with TruncationMarker, with a warning. 0 means DefaultMaxScriptBytes (16 KiB).
	MaxScriptBytes int
}

// withDefaults returns o with the zero limits replaced by the defaults, or an error naming
// the field when a limit is negative (a bad value is refused, never clamped).
func (o Options) withDefaults() (Options, error) {
	if o.MaxAttrBytes < 0 {
		return o, fmt.Errorf("nmapxml: Options.MaxAttrBytes is %d, want 0 (default) or more", o.MaxAttrBytes)
	}
	if o.MaxScriptBytes < 0 {
		return o, fmt.Errorf("nmapxml: Options.MaxScriptBytes is %d, want 0 (default) or more", o.MaxScriptBytes)
	}
	if o.MaxAttrBytes == 0 {
		o.MaxAttrBytes = DefaultMaxAttrBytes
	}
	if o.MaxScriptBytes == 0 {
		o.MaxScriptBytes = DefaultMaxScriptBytes
	}
	return o, nil
}
