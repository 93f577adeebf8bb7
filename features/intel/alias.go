package intel

import "strings"

// alias ties together the names one product goes by in CPE dictionaries (what nmap emits),
// in the KEV catalog (vendorProject and product), and in nmap's product field (for ports
// where nmap printed no CPE). Names are written "vendor:product" in their normal form (see
// normName).
//
// The table is small on purpose: it only needs the products whose names differ between the
// sources. Every other product matches when its CPE vendor and product equal the KEV
// vendorProject and product after normalisation (apache:struts and "Apache", "Struts").
// linux:linux_kernel is deliberately absent: kernel CVEs in the catalog are local privilege
// escalations, and every Linux service CPE names the kernel, so tying them to an open port
// would flag every Linux host.
type alias struct {
	id   string
	cpe  []string // CPE vendor:product
	kev  []string // KEV vendorProject:product
	nmap []string // nmap product field, for ports without a CPE
}

var aliases = []alias{
	{id: "apache-httpd", cpe: []string{"apache:http server"}, kev: []string{"apache:http server"},
		nmap: []string{"apache httpd"}},
	{id: "nginx", cpe: []string{"igor sysoev:nginx", "nginx:nginx", "f5:nginx"},
		kev: []string{"f5:nginx", "nginx:nginx"}, nmap: []string{"nginx"}},
	{id: "openssh", cpe: []string{"openbsd:openssh"}, kev: []string{"openbsd:openssh", "openssh:openssh"},
		nmap: []string{"openssh"}},
	{id: "vsftpd", cpe: []string{"vsftpd project:vsftpd", "beasts:vsftpd"}, kev: []string{"vsftpd:vsftpd"},
		nmap: []string{"vsftpd"}},
	{id: "redis", cpe: []string{"redis:redis", "redislabs:redis"}, kev: []string{"redis:redis"},
		nmap: []string{"redis key-value store"}},
	{id: "elasticsearch", cpe: []string{"elastic:elasticsearch", "elasticsearch:elasticsearch"},
		kev: []string{"elastic:elasticsearch", "elasticsearch:elasticsearch"}, nmap: []string{"elasticsearch rest api"}},
	{id: "kibana", cpe: []string{"elastic:kibana", "elasticsearch:kibana"}, kev: []string{"elastic:kibana"}},
	{id: "exim", cpe: []string{"exim:exim"}, kev: []string{"exim:mail transfer agent (mta)", "exim:exim"},
		nmap: []string{"exim smtpd"}},
	{id: "jenkins", cpe: []string{"jenkins:jenkins"},
		kev: []string{"jenkins:jenkins", "jenkins:jenkins stapler web framework", "jenkins:jenkins command line interface (cli)"}},
}

// aliasTables are the alias table turned into lookups by normalised name.
type aliasTables struct {
	cpe, kev, nmap map[string]string // name -> alias id
}

var aliasIndex = func() aliasTables {
	t := aliasTables{cpe: map[string]string{}, kev: map[string]string{}, nmap: map[string]string{}}
	for _, a := range aliases {
		for _, n := range a.cpe {
			t.cpe[n] = a.id
		}
		for _, n := range a.kev {
			t.kev[n] = a.id
		}
		for _, n := range a.nmap {
			t.nmap[n] = a.id
		}
	}
	return t
}()

// normName folds case, turns underscores into spaces and collapses runs of spaces, so that
// "http_server", "HTTP Server" and "HTTP  Server " are one name.
func normName(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "_", " "))
	return strings.Join(strings.Fields(s), " ")
}

// productKey returns the key under which a vendor/product pair is indexed: its alias id when
// the table knows it under that source, else the normalised pair itself.
func productKey(table map[string]string, vendor, product string) string {
	pair := normName(vendor) + ":" + normName(product)
	if id, ok := table[pair]; ok {
		return "alias:" + id
	}
	return pair
}
