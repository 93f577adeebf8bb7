package features

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Why turns a scored row into at most k sentences a person reads, one per feature that pushed
// the score up, the largest contribution first ("3 of its 5 scans found a high or critical
// finding", "9 of the 12 other hosts on the same image had a serious finding"). row is in
// model input order (Names); contrib is each feature's contribution (models.Explainer).
// Features that say the same thing (a neighbourhood's share and its size) give one sentence.
func Why(row, contrib []float32, k int) []string {
	n := min(len(row), len(contrib), int(numFeatures))
	idx := make([]int, 0, n)
	for i := range n {
		if c := contrib[i]; c > 0 && !math.IsInf(float64(c), 0) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(contrib[b], contrib[a]) })
	var out []string
	for _, i := range idx {
		if len(out) >= k {
			break
		}
		s := sentence(i, row[i], func(j int) (float32, bool) {
			if j < len(row) {
				return row[j], true
			}
			return 0, false
		})
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Sentence rewrites one raw reason as models.TopReasons writes it ("serious_scans=3 (+0.41)")
// as a sentence. Without the rest of the row, shares stay shares ("75% of the other hosts on
// the same image had a serious finding"). A reason it cannot read is returned as it is.
func Sentence(reason string) string {
	name, rest, ok := strings.Cut(reason, "=")
	if !ok {
		return reason
	}
	val, _, _ := strings.Cut(rest, " ")
	v, err := strconv.ParseFloat(val, 32)
	i := slices.IndexFunc(spec[:], func(f Feature) bool { return f.Name == name })
	if err != nil || i < 0 {
		return reason
	}
	if s := sentence(i, float32(v), func(int) (float32, bool) { return 0, false }); s != "" {
		return s
	}
	return reason
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// sentence says what feature i at value v means; other looks up another feature of the same
// row (false when unknown).
func sentence(i int, v float32, other func(int) (float32, bool)) string {
	n := int(math.Round(float64(v)))
	pct := int(math.Round(float64(v) * 100))
	share := func(size int, what string) string {
		if s, ok := other(size); ok && s >= 1 {
			total := int(math.Round(float64(s)))
			return fmt.Sprintf("%d of the %d other %s had a high or critical finding", int(math.Round(float64(v)*float64(total))), total, what)
		}
		return fmt.Sprintf("%d%% of the other %s had a high or critical finding", pct, what)
	}
	svc := func(name string) string {
		return fmt.Sprintf("its latest scan found %s open on %s", name, plural(n, "port", "ports"))
	}
	switch i {
	case fHasPublicIP:
		return "it has a public IP address"
	case fPublicIPs:
		return "it has " + plural(n, "public IP address", "public IP addresses")
	case fIngressRules:
		return fmt.Sprintf("its security groups allow %s", plural(n, "ingress rule", "ingress rules"))
	case fInternetRules:
		return fmt.Sprintf("%s open it to the whole internet", plural(n, "ingress rule", "ingress rules"))
	case fInternetPorts:
		return fmt.Sprintf("its rules open %s to the internet", plural(n, "port", "ports"))
	case fInternetAllPorts:
		return "a rule opens every port to the internet"
	case fInternetRanges:
		return fmt.Sprintf("%s open port ranges to the internet", plural(n, "rule", "rules"))
	case fInternetUDP:
		return "a rule opens UDP to the internet"
	case fInternetAdmin:
		return fmt.Sprintf("%s (SSH, RDP, WinRM) open to the internet", plural(n, "admin port is", "admin ports are"))
	case fInternetSSH:
		return "SSH (22) is open to the internet"
	case fInternetRDP:
		return "RDP (3389) is open to the internet"
	case fInternetData:
		return fmt.Sprintf("its rules open %s to the internet", plural(n, "database or cache port", "database or cache ports"))
	case fKindVM, fKindLB, fKindDB, fKindContainer, fKindFunction, fKindOther:
		return "it is " + map[int]string{fKindVM: "a virtual machine", fKindLB: "a load balancer", fKindDB: "a managed database",
			fKindContainer: "a container service", fKindFunction: "a serverless function", fKindOther: "of an unusual kind"}[i]
	case fEnvProd:
		return "it is tagged production"
	case fEnvStaging:
		return "it is tagged staging"
	case fEnvDev:
		return "it is tagged development"
	case fCriticality:
		return fmt.Sprintf("its criticality tag is %d of 4", n)
	case fAgeDays:
		return fmt.Sprintf("it was launched %s ago", plural(n, "day", "days"))
	case fOSLinux:
		return "it runs Linux"
	case fOSWindows:
		return "it runs Windows"
	case fRunning:
		return "it is running"
	case fTags:
		return "it has " + plural(n, "tag", "tags")
	case fSecurityGroups:
		return fmt.Sprintf("%s attached", plural(n, "security group is", "security groups are"))
	case fScansSeen:
		return fmt.Sprintf("%s saw it up", plural(n, "scan", "scans"))
	case fHoursSinceScan:
		if v >= maxHours {
			return "it has not been scanned for a year or more"
		}
		return fmt.Sprintf("it was last scanned %s ago", plural(int(math.Round(float64(v)/24)), "day", "days"))
	case fNeverScanned:
		return "no scan has ever covered it"
	case fOpenNow:
		return fmt.Sprintf("its latest scan found %s", plural(n, "open port", "open ports"))
	case fOpenPeak:
		return fmt.Sprintf("one scan found %s", plural(n, "open port", "open ports"))
	case fOpenEver:
		return fmt.Sprintf("%s have been seen open on it", plural(n, "port", "different ports"))
	case fInternetOpenNow:
		return fmt.Sprintf("%s open in its latest scan %s open to the internet", plural(n, "port", "ports"), map[bool]string{true: "is", false: "are"}[n == 1])
	case fSvcTelnet:
		return svc("telnet")
	case fSvcFTP:
		return svc("FTP")
	case fSvcSMB:
		return svc("SMB")
	case fSvcRDP:
		return svc("RDP")
	case fSvcVNC:
		return svc("VNC")
	case fSvcRedis:
		return svc("Redis")
	case fSvcMongoDB:
		return svc("MongoDB")
	case fSvcElasticsearch:
		return svc("Elasticsearch")
	case fSvcMemcached:
		return svc("memcached")
	case fSvcDocker:
		return svc("the Docker API")
	case fSvcKubernetes:
		return svc("Kubernetes (API server, kubelet or etcd)")
	case fRiskyNow:
		return fmt.Sprintf("its latest scan found risky services (remote access, databases, caches, container APIs) on %s", plural(n, "port", "ports"))
	case fTLSNow:
		return fmt.Sprintf("%s TLS", plural(n, "port speaks", "ports speak"))
	case fHTTPNow:
		return fmt.Sprintf("%s HTTP", plural(n, "port speaks", "ports speak"))
	case fVersionedShare:
		return fmt.Sprintf("nmap named the version of %d%% of its open ports", pct)
	case fKEVPorts:
		return fmt.Sprintf("%s a product listed in CISA's Known Exploited Vulnerabilities", plural(n, "open port runs", "open ports run"))
	case fKEVCVEs:
		return fmt.Sprintf("its products may be affected by %s exploited in the wild (CISA KEV)", plural(n, "CVE", "CVEs"))
	case fKEVVersionPorts:
		return fmt.Sprintf("%s a version inside a known exploited vulnerable range", plural(n, "port runs", "ports run"))
	case fEPSSMaxKEV, fEPSSMaxFindings:
		return fmt.Sprintf("a CVE on it has a %d%% estimated chance of exploitation within 30 days (EPSS)", pct)
	case fFindCritical:
		return fmt.Sprintf("its latest findings include %s", plural(n, "critical finding", "critical findings"))
	case fFindHigh:
		return fmt.Sprintf("its latest findings include %s", plural(n, "high finding", "high findings"))
	case fFindMedium:
		return fmt.Sprintf("its latest findings include %s", plural(n, "medium finding", "medium findings"))
	case fFindLow, fFindInfo:
		return ""
	case fSeriousScans:
		if seen, ok := other(fScansSeen); ok && seen >= v && seen > 0 {
			return fmt.Sprintf("%d of its %d scans found a high or critical finding", n, int(math.Round(float64(seen))))
		}
		return fmt.Sprintf("%s found a high or critical finding on it", plural(n, "scan", "scans"))
	case fDaysSinceSerious:
		if v >= maxDays {
			return ""
		}
		if n == 0 {
			return "a scan found a high or critical finding on it today"
		}
		return fmt.Sprintf("a scan found a high or critical finding on it %s ago", plural(n, "day", "days"))
	case fDiffNew:
		return fmt.Sprintf("%s newly open against its baseline", plural(n, "port is", "ports are"))
	case fDiffClosed:
		return fmt.Sprintf("%s closed against its baseline", plural(n, "port", "ports"))
	case fDiffChanged:
		return fmt.Sprintf("%s changed service or version against its baseline", plural(n, "port", "ports"))
	case fDiffHost:
		return "the host itself changed (came up, went away, or changed OS) against its baseline"
	case fChurn:
		return fmt.Sprintf("its ports change often (%.1f changes per scan)", v)
	case fNbrImage, fNbrImageSize:
		if i == fNbrImageSize {
			if s, ok := other(fNbrImage); ok {
				return sentence(fNbrImage, s, other)
			}
			return fmt.Sprintf("%s run the same image", plural(n, "other host", "other hosts"))
		}
		return share(fNbrImageSize, "hosts on the same image")
	case fNbrGroup, fNbrGroupSize:
		if i == fNbrGroupSize {
			if s, ok := other(fNbrGroup); ok {
				return sentence(fNbrGroup, s, other)
			}
			return fmt.Sprintf("%s in the same group", plural(n, "other host is", "other hosts are"))
		}
		return share(fNbrGroupSize, "hosts in the same group")
	case fNbrSG:
		return fmt.Sprintf("%d%% of the other members of one of its security groups had a high or critical finding", pct)
	case fNbrSubnet:
		return fmt.Sprintf("%d%% of the other hosts in its subnet had a high or critical finding", pct)
	case fPredSibling:
		return fmt.Sprintf("%s open on its siblings never seen open here", plural(n, "port", "ports"))
	case fPredUnscanned:
		return fmt.Sprintf("%s its rules open to the internet never scanned", plural(n, "port", "ports"))
	}
	return ""
}
