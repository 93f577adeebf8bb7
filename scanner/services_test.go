package scanner_test

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/scanner"
)

func loadSample(t testing.TB) *scanner.Services {
	t.Helper()
	s, err := scanner.LoadServices("testdata/nmap-services.sample")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestServicesTop(t *testing.T) {
	s := loadSample(t)
	tests := []struct {
		proto string
		n     int
		want  string
	}{
		{"tcp", 1, "80"},
		{"tcp", 3, "23,80,443"},
		{"tcp", 5, "1,22-23,80,443"},
		// 6379, 27017 and 7000 tie at 0.000125: lower port numbers first, as nmap does.
		{"tcp", 7, "1,22-23,80,443,6379,11211"},
		{"tcp", 8, "1,22-23,80,443,6379,7000,11211"},
		{"tcp", 100, "1,22-23,80,443,2375,6379,7000,8081,11211,27017"},
		{"tcp", 0, ""},
		{"udp", 2, "80,161"},
		{"sctp", 5, "80"},
		{"icmp", 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.proto+"/"+strconv.Itoa(tt.n), func(t *testing.T) {
			if got := s.Top(tt.proto, tt.n).String(); got != tt.want {
				t.Errorf("Top(%s, %d) = %q, want %q", tt.proto, tt.n, got, tt.want)
			}
		})
	}
	if n := s.Len("tcp"); n != 11 {
		t.Errorf("Len(tcp) = %d, want 11 (port 0 left out, the duplicate counted once)", n)
	}
	if m := s.Mass("tcp", []int{80}); m < 0.44 || m > 0.45 {
		t.Errorf("Mass(tcp, 80) = %v, want about 0.484/1.098", m)
	}
	if m := s.Mass("tcp", s.Top("tcp", 100)); m != 1 {
		t.Errorf("Mass of every port = %v, want 1", m)
	}
}

func TestReadServicesErrors(t *testing.T) {
	tests := []struct{ name, in, err string }{
		{"no port", "ssh\n", "line 1"},
		{"no proto", "ssh 22 0.1\n", "want port/proto"},
		{"bad port", "# c\nssh 70000/tcp 0.1\n", "line 2: port 70000"},
		{"bad frequency", "ssh 22/tcp lots\n", "frequency \"lots\""},
		{"frequency above one", "ssh 22/tcp 1.5\n", "want a number in [0, 1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scanner.ReadServices(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want it to say %q", err, tt.err)
			}
		})
	}
}

func FuzzReadServices(f *testing.F) {
	data, err := os.ReadFile("testdata/nmap-services.sample")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	f.Add("a 1/tcp 0.5\nb 1/tcp 0.7\n")
	f.Add("a 65535/udp\n# x\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := scanner.ReadServices(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, proto := range []string{"tcp", "udp"} {
			top := s.Top(proto, 1000)
			if len(top) != s.Len(proto) && len(top) != 1000 {
				t.Fatalf("Top(%s, 1000) has %d ports of %d", proto, len(top), s.Len(proto))
			}
			if !slices.IsSorted(top) {
				t.Fatalf("Top(%s) not sorted: %v", proto, top)
			}
			if m := s.Mass(proto, top); m < 0 || m > 1 {
				t.Fatalf("Mass = %v", m)
			}
		}
	})
}

// TestTopPortsMatchNmap checks TopPorts against the list nmap itself uses for --top-ports.
// nmap with no targets (-iL /dev/null) prints the list in <scaninfo> and sends nothing.
func TestTopPortsMatchNmap(t *testing.T) {
	nmap, err := exec.LookPath("nmap")
	if err != nil {
		t.Fatalf("nmap is needed (make setup installs it): %v", err)
	}
	re := regexp.MustCompile(` services="([^"]*)"`)
	for _, n := range []int{100, 1000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			out, err := exec.Command(nmap, "-n", "--top-ports", strconv.Itoa(n), "-oX", "-", "-iL", os.DevNull).Output()
			if err != nil {
				t.Fatal(err)
			}
			m := re.FindSubmatch(out)
			if m == nil {
				t.Fatalf("no services list in nmap's output:\n%s", out)
			}
			want, err := scanner.ParsePortList(string(m[1]))
			if err != nil {
				t.Fatal(err)
			}
			got, err := scanner.TopPorts(n)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("TopPorts(%d) differs from nmap's --top-ports %d: %d vs %d ports", n, n, len(got), len(want))
			}
		})
	}
	// The risky cloud ports the tiers must add themselves are indeed missing from the top 1000.
	top, err := scanner.TopPorts(1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []int{6379, 11211, 27017, 2375, 10250, 2379, 6443, 9092, 5601, 15672, 2181, 5985} {
		if _, found := slices.BinarySearch(top, p); found {
			t.Errorf("port %d is in nmap's top 1000; the doc says it is not", p)
		}
	}
}
