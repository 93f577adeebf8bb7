package nmapxml

import "strings"

// valueOptions are the nmap options whose value is the next word of the command line. The
// others either take none or carry it in the same word (-p22, -T4, -PS80, --opt=value).
var valueOptions = map[string]bool{
	"-p": true, "-e": true, "-S": true, "-D": true, "-g": true, "-b": true, "-sI": true,
	"-iL": true, "-iR": true, "-oN": true, "-oX": true, "-oS": true, "-oG": true, "-oA": true,
	"-oM": true, "-oH": true,
	"--exclude": true, "--excludefile": true, "--exclude-ports": true,
	"--script": true, "--script-args": true, "--script-args-file": true, "--script-timeout": true,
	"--top-ports": true, "--port-ratio": true,
	"--min-rate": true, "--max-rate": true, "--max-retries": true, "--host-timeout": true,
	"--scan-delay": true, "--max-scan-delay": true,
	"--min-hostgroup": true, "--max-hostgroup": true,
	"--min-parallelism": true, "--max-parallelism": true,
	"--min-rtt-timeout": true, "--max-rtt-timeout": true, "--initial-rtt-timeout": true,
	"--version-intensity": true, "--max-os-tries": true,
	"--source-port": true, "--data": true, "--data-string": true, "--data-length": true,
	"--ip-options": true, "--ttl": true, "--spoof-mac": true, "--mtu": true, "--proxies": true,
	"--proxy": true, "--dns-servers": true, "--datadir": true, "--servicedb": true,
	"--versiondb": true, "--stylesheet": true, "--resume": true, "--stats-every": true,
	"--scanflags": true, "--min-tries": true, "--max-tries": true,
}

// targetsFromArgs returns the target words of an nmap command line (what is left once the
// program name, the options and their values are taken out), joined by spaces. nmap records
// its argv joined by single spaces, so splitting on blanks recovers the words.
func targetsFromArgs(args string) string {
	words := strings.Fields(args)
	if len(words) == 0 {
		return ""
	}
	var targets []string
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch {
		case valueOptions[w]:
			i++ // its value is the next word
		case strings.HasPrefix(w, "-") && len(w) > 1:
		default:
			targets = append(targets, w)
		}
	}
	return strings.Join(targets, " ")
}
