package scanner

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// DefaultServicesPath is where Debian's nmap package installs nmap-services.
const DefaultServicesPath = "/usr/share/nmap/nmap-services"

// Services is nmap's port table: for each protocol, the ports nmap knows with their
// open-frequency (the share of scanned hosts where nmap's authors found the port open). It is
// what --top-ports reads; riskmap reads it itself so that each tier passes nmap an explicit
// port list whose length, and so whose probe count, is known before the scan.
type Services struct {
	byProto map[string][]serviceFreq // sorted by frequency, highest first, then port
	total   map[string]float64
}

type serviceFreq struct {
	port int
	freq float64
}

// LoadServices reads an nmap-services file.
func LoadServices(path string) (*Services, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nmap services: %w", err)
	}
	defer f.Close()
	s, err := ReadServices(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ReadServices parses nmap-services: "name port/proto frequency # comment" lines, '#'
// comments. A port listed twice keeps its highest frequency. A missing frequency is 0.
func ReadServices(r io.Reader) (*Services, error) {
	seen := map[string]map[int]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("line %d: want \"name port/proto [frequency]\", got %q", line, sc.Text())
		}
		num, proto, ok := strings.Cut(f[1], "/")
		if !ok || proto == "" {
			return nil, fmt.Errorf("line %d: port %q: want port/proto such as 22/tcp", line, f[1])
		}
		port, err := parsePort(num)
		if err != nil && num != "0" {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if port == 0 {
			continue // nmap lists port 0 for some protocols; it is never scanned
		}
		var freq float64
		if len(f) >= 3 {
			freq, err = strconv.ParseFloat(f[2], 64)
			if err != nil || freq < 0 || freq > 1 || freq != freq {
				return nil, fmt.Errorf("line %d: frequency %q: want a number in [0, 1]", line, f[2])
			}
		}
		proto = strings.ToLower(proto)
		if seen[proto] == nil {
			seen[proto] = map[int]float64{}
		}
		if old, ok := seen[proto][port]; !ok || freq > old {
			seen[proto][port] = freq
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	s := &Services{byProto: map[string][]serviceFreq{}, total: map[string]float64{}}
	for proto, ports := range seen {
		list := make([]serviceFreq, 0, len(ports))
		for p, fr := range ports {
			list = append(list, serviceFreq{p, fr})
		}
		// Highest frequency first, ties by ascending port: the order nmap's --top-ports uses
		// (a test checks the lists against nmap's own).
		slices.SortFunc(list, func(a, b serviceFreq) int {
			switch {
			case a.freq > b.freq:
				return -1
			case a.freq < b.freq:
				return 1
			}
			return a.port - b.port
		})
		s.byProto[proto] = list
		for _, e := range list { // summed in the order Mass sums, so all ports make exactly 1
			s.total[proto] += e.freq
		}
	}
	return s, nil
}

// Top returns the n most frequently open ports of proto ("tcp", "udp"), sorted by port
// number. n above the number of known ports returns them all.
func (s *Services) Top(proto string, n int) PortList {
	list := s.byProto[proto]
	n = min(max(n, 0), len(list))
	if n == 0 {
		return nil
	}
	out := make(PortList, 0, n)
	for _, e := range list[:n] {
		out = append(out, e.port)
	}
	slices.Sort(out)
	return out
}

// Len returns how many ports of proto the table knows.
func (s *Services) Len(proto string) int { return len(s.byProto[proto]) }

// Mass returns the share, in [0, 1], of proto's total open-frequency that ports cover: how
// much of what is usually open a scan of those ports sees.
func (s *Services) Mass(proto string, ports []int) float64 {
	total := s.total[proto]
	if total == 0 {
		return 0
	}
	set := make(map[int]bool, len(ports))
	for _, p := range ports {
		set[p] = true
	}
	var sum float64
	for _, e := range s.byProto[proto] {
		if set[e.port] {
			sum += e.freq
		}
	}
	return min(sum/total, 1)
}

// TopPorts returns nmap's n most frequently open TCP ports, sorted by port number, read from
// DefaultServicesPath. Use LoadServices and Services.Top for another file.
func TopPorts(n int) ([]int, error) {
	if n < 0 {
		return nil, fmt.Errorf("top ports %d: want >= 0", n)
	}
	s, err := LoadServices(DefaultServicesPath)
	if err != nil {
		return nil, err
	}
	return s.Top("tcp", n), nil
}
