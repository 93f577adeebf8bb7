package intel_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/features/intel"
)

// synthetic is a hand-made catalog for the aliases that the real fixture files do not carry.
// It is not a copy of CISA data: which of these CVEs the real catalog lists is whatever the
// loaded catalog says.
func synthetic() *intel.KEV {
	return &intel.KEV{Version: "synthetic", Entries: []intel.KEVEntry{
		{CVE: "CVE-2011-2523", VendorProject: "vsftpd", Product: "vsftpd", Name: "synthetic vsftpd entry", DateAdded: date("2022-03-07")},
		{CVE: "CVE-2000-0001", VendorProject: "F5", Product: "NGINX", Name: "synthetic nginx entry", DateAdded: date("2022-03-07")},
		{CVE: "CVE-2000-0002", VendorProject: "Redis", Product: "Redis", Name: "synthetic redis entry", DateAdded: date("2022-03-07")},
	}}
}

func TestMatch(t *testing.T) {
	real := readKEVFile(t, "kev_2022-01-18.json")
	tests := []struct {
		name             string
		kev              *intel.KEV
		cpes             []string
		product, version string
		want             string // "CVE confidence; ..." sorted by CVE
	}{
		{"apache 2.4.49 by cpe", real, []string{"cpe:/a:apache:http_server:2.4.49"}, "Apache httpd", "2.4.49",
			"CVE-2021-41773 vendor+product+version; CVE-2021-42013 vendor+product+version"},
		{"apache 2.4.50 by cpe", real, []string{"cpe:/a:apache:http_server:2.4.50"}, "Apache httpd", "2.4.50",
			"CVE-2021-42013 vendor+product+version"},
		{"apache 2.4.57 is outside both ranges", real, []string{"cpe:/a:apache:http_server:2.4.57"}, "Apache httpd", "2.4.57", ""},
		{"apache without version", real, []string{"cpe:/a:apache:http_server"}, "Apache httpd", "",
			"CVE-2021-41773 vendor+product; CVE-2021-42013 vendor+product"},
		{"apache by nmap product only", real, nil, "Apache httpd", "2.4.49",
			"CVE-2021-41773 vendor+product+version; CVE-2021-42013 vendor+product+version"},
		{"apache cpe without version takes nmap version", real, []string{"cpe:/a:apache:http_server"}, "Apache httpd", "2.4.50",
			"CVE-2021-42013 vendor+product+version"},
		{"apache 2.3 cpe", real, []string{"cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"}, "", "",
			"CVE-2021-41773 vendor+product+version; CVE-2021-42013 vendor+product+version"},
		{"apache guessed version", real, []string{"cpe:/a:apache:http_server:2.4.x"}, "", "",
			"CVE-2021-41773 vendor+product; CVE-2021-42013 vendor+product"},
		{"exim 4.89 by nmap product", real, nil, "Exim smtpd", "4.89", "CVE-2019-10149 vendor+product+version"},
		{"exim 4.92 is fixed", real, []string{"cpe:/a:exim:exim:4.92"}, "Exim smtpd", "4.92", ""},
		{"kibana 6.5.4", real, []string{"cpe:/a:elastic:kibana:6.5.4"}, "", "", "CVE-2019-7609 vendor+product+version"},
		{"kibana 7.10.0", real, []string{"cpe:/a:elastic:kibana:7.10.0"}, "", "", ""},
		{"log4j is not a port product", real, []string{"cpe:/a:apache:log4j:2.14.1"}, "", "", ""},
		{"kernel cpe ties to nothing", real, []string{"cpe:/o:linux:linux_kernel"}, "OpenSSH", "8.9p1 Ubuntu 3ubuntu0.1", ""},
		{"unparsable cpe skipped", real, []string{"not a cpe", "cpe:/a:apache:http_server:2.4.49"}, "", "",
			"CVE-2021-41773 vendor+product+version; CVE-2021-42013 vendor+product+version"},
		{"vsftpd 2.3.4 via beasts alias", synthetic(), []string{"cpe:/a:beasts:vsftpd:2.3.4"}, "vsftpd", "2.3.4",
			"CVE-2011-2523 vendor+product+version"},
		{"vsftpd 3.0.5 is not the backdoored release", synthetic(), []string{"cpe:/a:vsftpd_project:vsftpd:3.0.5"}, "vsftpd", "3.0.5", ""},
		{"nginx via igor_sysoev alias", synthetic(), []string{"cpe:/a:igor_sysoev:nginx:1.18.0"}, "nginx", "1.18.0",
			"CVE-2000-0001 vendor+product"},
		{"redis via nmap product with distro suffix", synthetic(), nil, "Redis key-value store", "6.0.16 Debian", "CVE-2000-0002 vendor+product"},
		{"empty catalog", &intel.KEV{}, []string{"cpe:/a:apache:http_server:2.4.49"}, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, m := range tc.kev.Match(tc.cpes, tc.product, tc.version) {
				if m.Entry.CVE != m.CVE {
					t.Errorf("match %s carries entry %s", m.CVE, m.Entry.CVE)
				}
				got = append(got, m.CVE+" "+m.Confidence)
			}
			if s := strings.Join(got, "; "); s != tc.want {
				t.Errorf("got %q, want %q", s, tc.want)
			}
		})
	}
}

func TestMatchNilKEV(t *testing.T) {
	var k *intel.KEV
	if got := k.Match([]string{"cpe:/a:apache:http_server:2.4.49"}, "", ""); got != nil {
		t.Errorf("nil catalog matched %v", got)
	}
}

func ExampleKEV_Match() {
	f, err := os.Open("testdata/kev_2022-01-18.json")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	kev, err := intel.ReadKEV("kev_2022-01-18.json", f)
	if err != nil {
		panic(err)
	}
	for _, m := range kev.Match([]string{"cpe:/a:apache:http_server:2.4.50"}, "Apache httpd", "2.4.50") {
		fmt.Println(m.CVE, m.Confidence, m.Entry.Name)
	}
	// Output:
	// CVE-2021-42013 vendor+product+version Apache HTTP Server 2.4.49 and 2.4.50 Path Traversal
}
