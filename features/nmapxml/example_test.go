package nmapxml_test

import (
	"fmt"

	"github.com/riskmap/riskmap/features/nmapxml"
)

func ExampleParse() {
	raw := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sV -oX - 192.0.2.10" start="1700000000" version="7.93" xmloutputversion="1.05">
<host starttime="1700000001" endtime="1700000009"><status state="up" reason="syn-ack" reason_ttl="0"/>
<address addr="192.0.2.10" addrtype="ipv4"/>
<ports><extraports state="closed" count="998"/>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="ssh" product="OpenSSH" version="8.9p1 Ubuntu 3ubuntu0.6" method="probed" conf="10"><cpe>cpe:/a:openbsd:openssh:8.9p1</cpe></service></port>
<port protocol="tcp" portid="443"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http" product="nginx" version="1.18.0" tunnel="ssl" method="probed" conf="10"/><script id="http-title" output="Welcome to nginx!"/></port>
</ports>
</host>
<runstats><finished time="1700000009" exit="success"/><hosts up="1" down="0" total="1"/></runstats>
</nmaprun>
`)
	res, err := nmapxml.Parse(raw, nmapxml.Options{Source: "scan.xml"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("complete:", res.Scan.Complete, "targets:", res.Scan.Targets, "up:", res.Scan.HostsUp)
	for _, h := range res.Hosts {
		fmt.Println(h.IP, h.Status, h.ExtraPorts)
	}
	for _, o := range res.Observations {
		fmt.Println(o.IP, o.Port, o.Proto, o.State, o.Service, o.Product, o.Version, o.Tunnel, o.CPEs, len(o.Scripts))
	}

	// A file that is not nmap XML is refused with a one-line error naming it.
	_, err = nmapxml.Parse([]byte("Starting Nmap 7.93 ( https://nmap.org )\n"), nmapxml.Options{Source: "scan.nmap"})
	fmt.Println(err)
	// Output:
	// complete: true targets: 192.0.2.10 up: 1
	// 192.0.2.10 up map[closed:998]
	// 192.0.2.10 22 tcp open ssh OpenSSH 8.9p1 Ubuntu 3ubuntu0.6  [cpe:/a:openbsd:openssh:8.9p1] 0
	// 192.0.2.10 443 tcp open http nginx 1.18.0 ssl [] 1
	// scan.nmap: line 1: not nmap XML: text "Starting Nmap 7.93 ( htt" before any element
}
