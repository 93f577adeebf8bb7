package intel

import (
	"sort"
	"strings"
)

// Match confidences, weakest first.
const (
	// ConfidenceProduct: the vendor and product agree with the KEV entry, and either the
	// version is unknown or no range is known for the CVE.
	ConfidenceProduct = "vendor+product"
	// ConfidenceVersion: the vendor and product agree and the version is inside a range the
	// affected table lists for the CVE.
	ConfidenceVersion = "vendor+product+version"
)

// Match is one KEV entry that an observed product may be affected by.
type Match struct {
	CVE        string
	Entry      KEVEntry
	Confidence string // ConfidenceProduct or ConfidenceVersion
}

type kevIndex struct {
	byCVE     map[string]int   // CVE -> first entry
	byProduct map[string][]int // productKey -> entries
}

func (k *KEV) index() *kevIndex {
	if ix := k.idx.Load(); ix != nil {
		return ix
	}
	ix := &kevIndex{byCVE: map[string]int{}, byProduct: map[string][]int{}}
	for i, e := range k.Entries {
		if _, dup := ix.byCVE[e.CVE]; !dup {
			ix.byCVE[e.CVE] = i
		}
		key := productKey(aliasIndex.kev, e.VendorProject, e.Product)
		ix.byProduct[key] = append(ix.byProduct[key], i)
	}
	k.idx.CompareAndSwap(nil, ix)
	return k.idx.Load()
}

// candidate is one product identity read from an observation, with the version to test.
type candidate struct {
	key, version string
}

// Match returns the KEV entries that the product behind one observed port may be affected by.
// cpes are the port's CPEs as nmap printed them (2.2 URIs or 2.3 strings; unparsable ones are
// skipped); product and version are nmap's product and version fields, used when no CPE
// names a product the catalog knows. A CVE whose affected range is known and excludes the
// observed version is left out. The result is sorted by CVE, one Match per CVE, with the
// stronger confidence when two identities agree.
func (k *KEV) Match(cpes []string, product, version string) []Match {
	if k == nil || len(k.Entries) == 0 {
		return nil
	}
	ix := k.index()
	var cands []candidate
	for _, s := range cpes {
		c, err := ParseCPE(s)
		if err != nil || c.Product == "" {
			continue
		}
		v := c.Version
		if v == "" {
			v = leadingVersion(version)
		}
		cands = append(cands, candidate{productKey(aliasIndex.cpe, c.Vendor, c.Product), v})
	}
	if p := normName(product); p != "" {
		if id, ok := aliasIndex.nmap[p]; ok {
			cands = append(cands, candidate{"alias:" + id, leadingVersion(version)})
		}
	}
	best := map[string]Match{}
	for _, c := range cands {
		for _, i := range ix.byProduct[c.key] {
			e := k.Entries[i]
			conf := ConfidenceProduct
			if KnownVersion(c.version) {
				in, known := vulnerable(e.CVE, c.key, c.version)
				if known && !in {
					continue
				}
				if in {
					conf = ConfidenceVersion
				}
			}
			if old, ok := best[e.CVE]; !ok || (old.Confidence == ConfidenceProduct && conf == ConfidenceVersion) {
				best[e.CVE] = Match{CVE: e.CVE, Entry: e, Confidence: conf}
			}
		}
	}
	out := make([]Match, 0, len(best))
	for _, m := range best {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CVE < out[j].CVE })
	return out
}

// leadingVersion takes the release number out of nmap's version field, which may carry a
// distribution suffix ("8.9p1 Ubuntu 3ubuntu0.1"); a range ("5.0 - 5.6") gives "".
func leadingVersion(v string) string {
	v = strings.TrimSpace(v)
	if strings.Contains(v, " - ") {
		return ""
	}
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}
