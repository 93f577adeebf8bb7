package intel_test

import (
	"strings"
	"testing"

	"github.com/riskmap/riskmap/features/intel"
)

func TestParseCPE(t *testing.T) {
	tests := []struct {
		in   string
		want intel.CPE
	}{
		{"cpe:/a:openbsd:openssh:8.9p1", intel.CPE{"a", "openbsd", "openssh", "8.9p1"}},
		{"cpe:/o:linux:linux_kernel", intel.CPE{"o", "linux", "linux_kernel", ""}},
		{"cpe:/a:apache:http_server:2.4.49", intel.CPE{"a", "apache", "http_server", "2.4.49"}},
		{"cpe:/a:igor_sysoev:nginx:1.18.0", intel.CPE{"a", "igor_sysoev", "nginx", "1.18.0"}},
		{"cpe:/a:Microsoft:SQL_Server:2019", intel.CPE{"a", "microsoft", "sql_server", "2019"}},
		{"cpe:/a:oracle:mysql:5.7.33%2dlog", intel.CPE{"a", "oracle", "mysql", "5.7.33-log"}},
		{"cpe:/a:hp:web%20jetadmin:8.0", intel.CPE{"a", "hp", "web jetadmin", "8.0"}},
		{"cpe:/a:beasts:vsftpd:2.3.4:", intel.CPE{"a", "beasts", "vsftpd", "2.3.4"}},
		{"cpe:/h:cisco:ios_xe:16.9:-:*", intel.CPE{"h", "cisco", "ios_xe", "16.9"}},
		{"cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*", intel.CPE{"a", "apache", "http_server", "2.4.49"}},
		{`cpe:2.3:a:f5:nginx:1.20.0\-beta:*:*:*:*:*:*:*`, intel.CPE{"a", "f5", "nginx", "1.20.0-beta"}},
		{`cpe:2.3:a:foo\:bar:web\ server:-:*:*:*:*:*:*:*`, intel.CPE{"a", "foo:bar", "web server", ""}},
		{"CPE:2.3:O:Microsoft:Windows_10:1909", intel.CPE{"o", "microsoft", "windows_10", "1909"}},
		{"  cpe:/a:redis:redis:6.0.16  ", intel.CPE{"a", "redis", "redis", "6.0.16"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := intel.ParseCPE(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			again, err := intel.ParseCPE(got.String())
			if err != nil || again != got {
				t.Errorf("String() %q reads back as %+v, %v", got.String(), again, err)
			}
		})
	}
}

func TestParseCPEErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"apache:http_server", "want cpe:/part:vendor:product"},
		{"cpe:/x:apache:http_server", `part "x": want a, o or h`},
		{"cpe:/a:apache:http%2server", "bad percent-encoding"},
		{"cpe:/a", "want a vendor or a product"},
		{`cpe:2.3:a:apache:http_server:2.4\`, "trailing backslash"},
		{"cpe:2.3:a:v:p:1:2:3:4:5:6:7:8:9", "at most 11 components"},
		{"cpe:/a:v:p:1:2:3:4:5", "at most 7 components"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := intel.ParseCPE(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func FuzzParseCPE(f *testing.F) {
	for _, s := range []string{"cpe:/a:openbsd:openssh:8.9p1", "cpe:/a:oracle:mysql:5.7.33%2dlog",
		`cpe:2.3:a:foo\:bar:web\ server:-:*:*:*:*:*:*:*`, "cpe:/o:linux:linux_kernel", "cpe:/:%41:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := intel.ParseCPE(s)
		if err != nil {
			return
		}
		again, err := intel.ParseCPE(c.String())
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", c.String(), s, err)
		}
		if again != c {
			t.Fatalf("round trip of %q: %+v then %+v", s, c, again)
		}
	})
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2.4.49", "2.4.50", -1},
		{"2.4.9", "2.4.49", -1},
		{"2.4.49", "2.4.49", 0},
		{"2.4", "2.4.0", -1},
		{"8.9p1", "8.9", 1},
		{"8.9p1", "8.10p1", -1},
		{"1.0.2k", "1.0.2j", 1},
		{"4.92", "4.87", 1},
		{"10.0", "9.9", 1},
		{"2.4.49", "2.4.beta", 1},
		{"007", "7", 0},
		{"6.6.0", "6.6.1", -1},
	}
	for _, tc := range tests {
		t.Run(tc.a+"_"+tc.b, func(t *testing.T) {
			if got := intel.CompareVersions(tc.a, tc.b); got != tc.want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := intel.CompareVersions(tc.b, tc.a); got != -tc.want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
			}
		})
	}
}

func TestKnownVersion(t *testing.T) {
	for v, want := range map[string]bool{"2.4.49": true, "8.9p1": true, "": false, "2.4.X": false,
		"5.0 - 5.6": false, "unknown": false, "1.x": false, "1.0*": false} {
		if got := intel.KnownVersion(v); got != want {
			t.Errorf("KnownVersion(%q) = %v, want %v", v, got, want)
		}
	}
}
