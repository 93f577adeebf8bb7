package intel

// affected lists, for a few KEV CVEs, the releases that are vulnerable. KEV entries carry no
// versions, so this table is the only source of version-level confidence; a CVE absent from it
// can only match at vendor+product level. Each range is taken from the CVE's own description
// (NVD) and is kept small and literal on purpose: a wrong range would turn a lead into a false
// verdict. A CVE listed here counts only when the loaded catalog lists it too.
//
// Distribution packages that backport fixes keep the upstream version number, so a
// version-level match on such a host means "the advertised version is affected", not proof.
var affected = map[string]affectedProduct{
	// Apache HTTP Server 2.4.49 path traversal; only 2.4.49.
	"CVE-2021-41773": {product: "alias:apache-httpd", ranges: []versionRange{{from: "2.4.49", before: "2.4.50"}}},
	// The incomplete fix of CVE-2021-41773: 2.4.49 and 2.4.50.
	"CVE-2021-42013": {product: "alias:apache-httpd", ranges: []versionRange{{from: "2.4.49", before: "2.4.51"}}},
	// Apache HTTP Server scoreboard privilege escalation: 2.4.17 to 2.4.38.
	"CVE-2019-0211": {product: "alias:apache-httpd", ranges: []versionRange{{from: "2.4.17", before: "2.4.39"}}},
	// vsftpd 2.3.4 as distributed with a backdoor in mid-2011.
	"CVE-2011-2523": {product: "alias:vsftpd", ranges: []versionRange{{from: "2.3.4", before: "2.3.5"}}},
	// Exim deliver_message remote command execution: 4.87 to 4.91.
	"CVE-2019-10149": {product: "alias:exim", ranges: []versionRange{{from: "4.87", before: "4.92"}}},
	// Kibana Timelion code execution: before 5.6.15, and 6.x before 6.6.1.
	"CVE-2019-7609": {product: "alias:kibana", ranges: []versionRange{{before: "5.6.15"}, {from: "6.0.0", before: "6.6.1"}}},
}

type affectedProduct struct {
	product string // productKey of the product the ranges are about
	ranges  []versionRange
}

// versionRange is [from, before): from inclusive ("" for no lower bound), before exclusive.
type versionRange struct {
	from, before string
}

func (r versionRange) contains(v string) bool {
	if r.from != "" && CompareVersions(v, r.from) < 0 {
		return false
	}
	return r.before == "" || CompareVersions(v, r.before) < 0
}

// vulnerable reports whether version v of the product with key is in an affected range of cve:
// known is false when the table has nothing on cve for that product.
func vulnerable(cve, key, v string) (in, known bool) {
	a, ok := affected[cve]
	if !ok || a.product != key {
		return false, false
	}
	for _, r := range a.ranges {
		if r.contains(v) {
			return true, true
		}
	}
	return false, true
}
