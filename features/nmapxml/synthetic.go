package nmapxml

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
)

// synthService is one service the synthetic estate runs, as nmap 7.93 -sV reports it.
type synthService struct {
	port      int
	name      string
	products  []string // "product|version|extrainfo|cpe"; one is picked per host
	tunnel    string
	scriptsOf func(w *bufio.Writer, r *rand.Rand, ip string)
}

var synthServices = []synthService{
	{22, "ssh", []string{
		"OpenSSH|8.9p1 Ubuntu 3ubuntu0.6|Ubuntu Linux; protocol 2.0|cpe:/a:openbsd:openssh:8.9p1",
		"OpenSSH|7.4|protocol 2.0|cpe:/a:openbsd:openssh:7.4",
		"OpenSSH|9.2p1 Debian 2+deb12u2|protocol 2.0|cpe:/a:openbsd:openssh:9.2p1",
	}, "", synthSSHScripts},
	{80, "http", []string{
		"nginx|1.18.0|Ubuntu|cpe:/a:igor_sysoev:nginx:1.18.0",
		"Apache httpd|2.4.57|(Debian)|cpe:/a:apache:http_server:2.4.57",
		"nginx|1.24.0||cpe:/a:igor_sysoev:nginx:1.24.0",
	}, "", synthHTTPScripts},
	{443, "http", []string{
		"nginx|1.18.0|Ubuntu|cpe:/a:igor_sysoev:nginx:1.18.0",
		"Apache httpd|2.4.57|(Debian)|cpe:/a:apache:http_server:2.4.57",
	}, "ssl", synthTLSScripts},
	{3306, "mysql", []string{"MySQL|8.0.35-0ubuntu0.22.04.1||cpe:/a:mysql:mysql:8.0.35-0ubuntu0.22.04.1"}, "", nil},
	{5432, "postgresql", []string{"PostgreSQL DB|9.6.0 or later||cpe:/a:postgresql:postgresql"}, "", nil},
	{6379, "redis", []string{"Redis key-value store|7.0.11||cpe:/a:redislabs:redis:7.0.11"}, "", nil},
	{25, "smtp", []string{"Postfix smtpd|||cpe:/a:postfix:postfix"}, "", nil},
	{3389, "ms-wbt-server", []string{"Microsoft Terminal Services|||cpe:/o:microsoft:windows"}, "", nil},
	{8080, "http-proxy", []string{"Apache Tomcat|9.0.83||cpe:/a:apache:tomcat:9.0.83"}, "", synthHTTPScripts},
	{9200, "http", []string{"Elasticsearch REST API|7.17.9|name: node-1; cluster: prod; Lucene 8.11.1|cpe:/a:elasticsearch:elasticsearch:7.17.9"}, "", nil},
}

var synthOS = []string{
	"Linux 4.15 - 5.8|95|cpe:/o:linux:linux_kernel:4",
	"Linux 5.0 - 5.14|97|cpe:/o:linux:linux_kernel:5",
	"Microsoft Windows Server 2019|98|cpe:/o:microsoft:windows_server_2019",
}

// WriteSynthetic writes a realistic nmap 7.93 XML scan of hosts hosts to w: each up host has
// several open ports with service, product, version and CPEs, some carry NSE script output
// (flat and structured) and an OS match, one in twenty is down. The same seed gives the same
// bytes. Addresses are in 10.0.0.0/8 and are data, not targets. It returns the first write
// error.
func WriteSynthetic(w io.Writer, hosts int, seed int64) error {
	if hosts < 0 {
		return fmt.Errorf("nmapxml: WriteSynthetic: hosts is %d, want 0 or more", hosts)
	}
	r := rand.New(rand.NewSource(seed))
	bw := bufio.NewWriterSize(w, 1<<16)
	start := int64(1700000000) + r.Int63n(1e7)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>
<!-- Nmap 7.93 scan initiated as: nmap -v -n -sV -sC -O -&#45;top-ports 1000 -oX synthetic.xml -iL targets.txt -->
<nmaprun scanner="nmap" args="nmap -v -n -sV -sC -O -&#45;top-ports 1000 -oX synthetic.xml -iL targets.txt" start="%d" startstr="synthetic" version="7.93" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="1000" services="1-1000"/>
<verbose level="1"/>
<debugging level="0"/>
`, start)
	up, down := 0, 0
	t := start
	for i := range hosts {
		ip := fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
		t += int64(r.Intn(3))
		if r.Intn(20) == 0 {
			down++
			fmt.Fprintf(bw, "<host><status state=\"down\" reason=\"no-response\" reason_ttl=\"0\"/>\n<address addr=\"%s\" addrtype=\"ipv4\"/>\n</host>\n", ip)
			continue
		}
		up++
		writeSynthHost(bw, r, ip, t)
	}
	fmt.Fprintf(bw, `<runstats><finished time="%d" timestr="synthetic" summary="Nmap done; %d IP addresses (%d hosts up)" elapsed="%d.00" exit="success"/><hosts up="%d" down="%d" total="%d"/>
</runstats>
</nmaprun>
`, t+30, hosts, up, t+30-start, up, down, hosts)
	return bw.Flush()
}

func writeSynthHost(w *bufio.Writer, r *rand.Rand, ip string, t int64) {
	fmt.Fprintf(w, "<host starttime=\"%d\" endtime=\"%d\"><status state=\"up\" reason=\"syn-ack\" reason_ttl=\"63\"/>\n<address addr=\"%s\" addrtype=\"ipv4\"/>\n<hostnames>\n<hostname name=\"ip-%s.ec2.internal\" type=\"PTR\"/>\n</hostnames>\n",
		t, t+int64(5+r.Intn(60)), ip, dashed(ip))
	n := 2 + r.Intn(5)
	picked := r.Perm(len(synthServices))[:n]
	fmt.Fprintf(w, "<ports><extraports state=\"closed\" count=\"%d\">\n<extrareasons reason=\"reset\" count=\"%d\" proto=\"tcp\" ports=\"1-21,23-79,81-442\"/>\n</extraports>\n", 1000-n, 1000-n)
	for _, k := range picked {
		s := synthServices[k]
		f := splitBar(s.products[r.Intn(len(s.products))])
		fmt.Fprintf(w, `<port protocol="tcp" portid="%d"><state state="open" reason="syn-ack" reason_ttl="63"/><service name="%s"`, s.port, s.name)
		writeAttr(w, "product", f[0])
		writeAttr(w, "version", f[1])
		writeAttr(w, "extrainfo", f[2])
		writeAttr(w, "tunnel", s.tunnel)
		fmt.Fprintf(w, ` method="probed" conf="10"><cpe>%s</cpe></service>`, f[3])
		if s.scriptsOf != nil && r.Intn(2) == 0 {
			s.scriptsOf(w, r, ip)
		}
		w.WriteString("</port>\n")
	}
	w.WriteString("</ports>\n")
	if r.Intn(10) == 0 {
		o := splitBar(synthOS[r.Intn(len(synthOS))])
		fmt.Fprintf(w, "<os><portused state=\"open\" proto=\"tcp\" portid=\"%d\"/>\n<osmatch name=\"%s\" accuracy=\"%s\" line=\"%d\">\n<osclass type=\"general purpose\" accuracy=\"%s\"><cpe>%s</cpe></osclass>\n</osmatch>\n</os>\n",
			synthServices[picked[0]].port, o[0], o[1], 60000+r.Intn(9000), o[1], o[2])
	}
	fmt.Fprintf(w, "<uptime seconds=\"%d\" lastboot=\"synthetic\"/>\n<distance value=\"1\"/>\n<tcpsequence index=\"%d\" difficulty=\"Good luck!\" values=\"%X,%X,%X,%X,%X,%X\"/>\n<times srtt=\"%d\" rttvar=\"%d\" to=\"100000\"/>\n</host>\n",
		r.Intn(5e6), 200+r.Intn(60), r.Uint32(), r.Uint32(), r.Uint32(), r.Uint32(), r.Uint32(), r.Uint32(), 200+r.Intn(900), 100+r.Intn(500))
}

func synthSSHScripts(w *bufio.Writer, r *rand.Rand, _ string) {
	fmt.Fprintf(w, `<script id="ssh-hostkey" output="&#xa;  256 %016x%016x (ECDSA)&#xa;  256 %016x%016x (ED25519)"><table><elem key="type">ecdsa-sha2-nistp256</elem><elem key="bits">256</elem><elem key="fingerprint">%016x%016x</elem></table><table><elem key="type">ssh-ed25519</elem><elem key="bits">256</elem><elem key="fingerprint">%016x%016x</elem></table></script>`,
		r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
}

func synthHTTPScripts(w *bufio.Writer, r *rand.Rand, _ string) {
	titles := []string{"Welcome to nginx!", "Apache2 Debian Default Page: It works", "Login &#x2013; Admin Console", "Grafana", "Jenkins &amp; friends"}
	title := titles[r.Intn(len(titles))]
	fmt.Fprintf(w, `<script id="http-title" output="%s"><elem key="title">%s</elem></script><script id="http-server-header" output="nginx"><elem>nginx</elem></script>`, title, title)
}

func synthTLSScripts(w *bufio.Writer, r *rand.Rand, ip string) {
	host := "ip-" + dashed(ip) + ".example.com"
	fmt.Fprintf(w, `<script id="ssl-cert" output="Subject: commonName=%s/organizationName=Example Ltd&#xa;Subject Alternative Name: DNS:%s&#xa;Not valid before: 2024-01-01T00:00:00&#xa;Not valid after:  2025-01-01T00:00:00"><table key="subject"><elem key="commonName">%s</elem><elem key="organizationName">Example Ltd</elem></table><table key="pubkey"><elem key="type">ec</elem><elem key="bits">256</elem></table><elem key="sig_algo">ecdsa-with-SHA256</elem><elem key="md5">%016x%016x</elem></script>`,
		host, host, host, r.Uint64(), r.Uint64())
	synthHTTPScripts(w, r, ip)
}

// writeAttr writes name="value" when value is not empty (values here need no escaping).
func writeAttr(w *bufio.Writer, name, value string) {
	if value == "" {
		return
	}
	w.WriteString(" " + name + "=\"" + value + "\"")
}

func splitBar(s string) [4]string {
	var f [4]string
	for i := 0; i < 3; i++ {
		j := 0
		for j < len(s) && s[j] != '|' {
			j++
		}
		f[i] = s[:j]
		if j < len(s) {
			s = s[j+1:]
		} else {
			s = ""
		}
	}
	f[3] = s
	return f
}

func dashed(ip string) string {
	b := []byte(ip)
	for i, c := range b {
		if c == '.' {
			b[i] = '-'
		}
	}
	return string(b)
}
