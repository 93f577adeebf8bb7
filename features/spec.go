package features

// Version is the version of the feature spec. Bump it whenever a feature is added, removed,
// reordered or computed differently: models record the version they were trained on and
// refuse rows of another.
const Version = "1"

// Feature describes one column of the features table.
type Feature struct {
	Name  string // snake_case column name
	Doc   string // one line: what it measures
	Unit  string // bool, count, ports, hours, days, share, level, score, ...
	Group string // exposure, asset, history, services, intel, findings, change, neighbourhood, predicted
}

// Feature positions, in model input order. spec below is indexed by them, so the compiler
// keeps the two in step.
const (
	fHasPublicIP = iota
	fPublicIPs
	fIngressRules
	fInternetRules
	fInternetPorts
	fInternetAllPorts
	fInternetRanges
	fInternetUDP
	fInternetAdmin
	fInternetSSH
	fInternetRDP
	fInternetData

	fKindVM
	fKindLB
	fKindDB
	fKindContainer
	fKindFunction
	fKindOther
	fEnvProd
	fEnvStaging
	fEnvDev
	fCriticality
	fAgeDays
	fOSLinux
	fOSWindows
	fRunning
	fTags
	fSecurityGroups

	fScansSeen
	fHoursSinceScan
	fNeverScanned
	fOpenNow
	fOpenPeak
	fOpenEver
	fInternetOpenNow

	fSvcTelnet
	fSvcFTP
	fSvcSMB
	fSvcRDP
	fSvcVNC
	fSvcRedis
	fSvcMongoDB
	fSvcElasticsearch
	fSvcMemcached
	fSvcDocker
	fSvcKubernetes
	fRiskyNow
	fTLSNow
	fHTTPNow
	fVersionedShare

	fKEVPorts
	fKEVCVEs
	fKEVVersionPorts
	fEPSSMaxKEV
	fEPSSMaxFindings

	fFindCritical
	fFindHigh
	fFindMedium
	fFindLow
	fFindInfo
	fSeriousScans
	fDaysSinceSerious

	fDiffNew
	fDiffClosed
	fDiffChanged
	fDiffHost
	fChurn

	fNbrImage
	fNbrGroup
	fNbrSG
	fNbrSubnet
	fNbrImageSize
	fNbrGroupSize

	fPredSibling
	fPredUnscanned

	numFeatures
)

// Caps keep a few open-ended features in a range that a model sees in training.
const (
	maxHours = 8760 // hours_since_last_scan for an asset never scanned, and its cap
	maxDays  = 365  // days_since_serious for an asset never found serious, and its cap
)

// The risky service classes, in the order of their features (svc_telnet ... svc_kubernetes).
const (
	svcNone = iota
	svcTelnet
	svcFTP
	svcSMB
	svcRDP
	svcVNC
	svcRedis
	svcMongoDB
	svcElasticsearch
	svcMemcached
	svcDocker
	svcKubernetes
	numServices
)

var spec = [numFeatures]Feature{
	fHasPublicIP:      {"has_public_ip", "the asset has at least one public IP address", "bool", "exposure"},
	fPublicIPs:        {"public_ip_count", "public IP addresses of the asset", "count", "exposure"},
	fIngressRules:     {"ingress_rules", "ingress rules its security groups / firewall allow", "rules", "exposure"},
	fInternetRules:    {"internet_rules", "ingress rules whose source is 0.0.0.0/0, ::/0 or the provider's Internet tag", "rules", "exposure"},
	fInternetPorts:    {"internet_open_ports", "concrete TCP/UDP ports the rules open to the internet (wide ranges are not expanded)", "ports", "exposure"},
	fInternetAllPorts: {"internet_all_ports", "a rule opens every port to the internet", "bool", "exposure"},
	fInternetRanges:   {"internet_port_ranges", "internet rules that open a range of more than one port but not every port", "rules", "exposure"},
	fInternetUDP:      {"internet_udp", "a rule opens UDP (or every protocol) to the internet", "bool", "exposure"},
	fInternetAdmin:    {"internet_admin_ports", "admin ports (22, 3389, 5985, 5986) open to the internet", "ports", "exposure"},
	fInternetSSH:      {"internet_ssh", "port 22 is open to the internet", "bool", "exposure"},
	fInternetRDP:      {"internet_rdp", "port 3389 is open to the internet", "bool", "exposure"},
	fInternetData:     {"internet_data_ports", "data-store ports (3306, 5432, 1433, 1521, 6379, 9200, 11211, 27017, 2375, ...) open to the internet", "ports", "exposure"},

	fKindVM:         {"kind_vm", "the asset is a virtual machine", "bool", "asset"},
	fKindLB:         {"kind_lb", "the asset is a load balancer", "bool", "asset"},
	fKindDB:         {"kind_db", "the asset is a managed database", "bool", "asset"},
	fKindContainer:  {"kind_container", "the asset is a container or container service", "bool", "asset"},
	fKindFunction:   {"kind_function", "the asset is a serverless function", "bool", "asset"},
	fKindOther:      {"kind_other", "the asset is of another or unknown kind", "bool", "asset"},
	fEnvProd:        {"env_prod", "the env/environment tag says production", "bool", "asset"},
	fEnvStaging:     {"env_staging", "the env/environment tag says staging, QA or UAT", "bool", "asset"},
	fEnvDev:         {"env_dev", "the env/environment tag says development, test or sandbox", "bool", "asset"},
	fCriticality:    {"criticality", "the criticality tag: 0 unknown, 1 low, 2 medium, 3 high, 4 critical", "level", "asset"},
	fAgeDays:        {"age_days", "days since the asset was launched, 0 when unknown", "days", "asset"},
	fOSLinux:        {"os_linux", "the OS family is Linux (inventory, else the latest nmap OS match)", "bool", "asset"},
	fOSWindows:      {"os_windows", "the OS family is Windows (inventory, else the latest nmap OS match)", "bool", "asset"},
	fRunning:        {"running", "the provider says the asset is running", "bool", "asset"},
	fTags:           {"tag_count", "tags on the asset", "count", "asset"},
	fSecurityGroups: {"security_group_count", "security groups / NSGs attached to the asset", "count", "asset"},

	fScansSeen:       {"scans_seen", "scans in which the asset answered (host up)", "count", "history"},
	fHoursSinceScan:  {"hours_since_last_scan", "hours since the asset was last scanned, capped at 8760 (also when never scanned)", "hours", "history"},
	fNeverScanned:    {"never_scanned", "no scan has ever covered the asset", "bool", "history"},
	fOpenNow:         {"open_ports_now", "ports open in the asset's latest scan", "ports", "history"},
	fOpenPeak:        {"open_ports_peak", "most ports open in any one scan of the asset", "ports", "history"},
	fOpenEver:        {"open_ports_ever", "distinct ports ever seen open on the asset", "ports", "history"},
	fInternetOpenNow: {"internet_open_ports_now", "ports open in the latest scan that the rules also open to the internet", "ports", "history"},

	fSvcTelnet:        {"svc_telnet", "telnet ports open in the latest scan", "ports", "services"},
	fSvcFTP:           {"svc_ftp", "FTP ports open in the latest scan", "ports", "services"},
	fSvcSMB:           {"svc_smb", "SMB / NetBIOS ports open in the latest scan", "ports", "services"},
	fSvcRDP:           {"svc_rdp", "RDP ports open in the latest scan", "ports", "services"},
	fSvcVNC:           {"svc_vnc", "VNC ports open in the latest scan", "ports", "services"},
	fSvcRedis:         {"svc_redis", "Redis ports open in the latest scan", "ports", "services"},
	fSvcMongoDB:       {"svc_mongodb", "MongoDB ports open in the latest scan", "ports", "services"},
	fSvcElasticsearch: {"svc_elasticsearch", "Elasticsearch ports open in the latest scan", "ports", "services"},
	fSvcMemcached:     {"svc_memcached", "memcached ports open in the latest scan", "ports", "services"},
	fSvcDocker:        {"svc_docker", "Docker API ports open in the latest scan", "ports", "services"},
	fSvcKubernetes:    {"svc_kubernetes", "Kubernetes API / kubelet / etcd ports open in the latest scan", "ports", "services"},
	fRiskyNow:         {"risky_ports_now", "ports open in the latest scan running any of the risky services above", "ports", "services"},
	fTLSNow:           {"tls_ports_now", "ports open in the latest scan that speak TLS", "ports", "services"},
	fHTTPNow:          {"http_ports_now", "ports open in the latest scan that speak HTTP(S)", "ports", "services"},
	fVersionedShare:   {"versioned_share_now", "share of the ports open in the latest scan whose version nmap identified", "share", "services"},

	fKEVPorts:        {"kev_ports_now", "ports open in the latest scan whose product is in the CISA KEV catalog", "ports", "intel"},
	fKEVCVEs:         {"kev_cves_now", "distinct KEV CVEs the products open in the latest scan may be affected by", "count", "intel"},
	fKEVVersionPorts: {"kev_version_ports_now", "ports whose observed version lies inside a known vulnerable range of a KEV CVE", "ports", "intel"},
	fEPSSMaxKEV:      {"epss_max_kev", "highest EPSS score of the KEV CVEs matched on the latest scan", "probability", "intel"},
	fEPSSMaxFindings: {"epss_max_findings", "highest EPSS score of the CVEs named by the asset's findings", "probability", "intel"},

	fFindCritical:     {"findings_critical", "critical findings in the most recent scan that reported findings for the asset", "count", "findings"},
	fFindHigh:         {"findings_high", "high findings in the most recent scan that reported findings for the asset", "count", "findings"},
	fFindMedium:       {"findings_medium", "medium findings in the most recent scan that reported findings for the asset", "count", "findings"},
	fFindLow:          {"findings_low", "low findings in the most recent scan that reported findings for the asset", "count", "findings"},
	fFindInfo:         {"findings_info", "info findings in the most recent scan that reported findings for the asset", "count", "findings"},
	fSeriousScans:     {"serious_scans", "scans that found a high or critical finding on the asset", "count", "findings"},
	fDaysSinceSerious: {"days_since_serious", "days since a scan last found a high or critical finding, capped at 365 (also when never)", "days", "findings"},

	fDiffNew:     {"diff_new_ports", "ports newly open against the baseline, in the asset's latest diff", "ports", "change"},
	fDiffClosed:  {"diff_closed_ports", "ports closed against the baseline, in the asset's latest diff", "ports", "change"},
	fDiffChanged: {"diff_changed_ports", "ports whose service, version, CPE or state changed, in the latest diff", "ports", "change"},
	fDiffHost:    {"diff_host_events", "host-level changes (new host, host gone, OS or state changed) in the latest diff", "count", "change"},
	fChurn:       {"churn_rate", "port changes in every diff so far per scan seen", "changes/scan", "change"},

	fNbrImage:     {"nbr_image_serious", "share of the other assets with the same image that had a high or critical finding", "share", "neighbourhood"},
	fNbrGroup:     {"nbr_group_serious", "share of the other assets in the same auto-scaling / instance group that had a high or critical finding", "share", "neighbourhood"},
	fNbrSG:        {"nbr_sg_serious", "highest share, over the asset's security groups, of the other members that had a high or critical finding", "share", "neighbourhood"},
	fNbrSubnet:    {"nbr_subnet_serious", "share of the other assets in the same subnet that had a high or critical finding", "share", "neighbourhood"},
	fNbrImageSize: {"nbr_image_size", "other assets with the same image", "count", "neighbourhood"},
	fNbrGroupSize: {"nbr_group_size", "other assets in the same group", "count", "neighbourhood"},

	fPredSibling:   {"predicted_sibling_ports", "ports open on siblings (same image or group) in their latest scan, never seen open on this asset", "ports", "predicted"},
	fPredUnscanned: {"predicted_unscanned_ports", "concrete ports the rules open to the internet that no scan has ever reported on the asset", "ports", "predicted"},
}

// Spec returns the features in model input order. The slice is a copy: callers may keep it.
func Spec() []Feature {
	out := make([]Feature, numFeatures)
	copy(out, spec[:])
	return out
}

// Names returns the feature names in model input order.
func Names() []string {
	out := make([]string, numFeatures)
	for i, f := range spec {
		out[i] = f.Name
	}
	return out
}
