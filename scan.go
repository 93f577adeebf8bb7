package riskmap

import "time"

// Scan is one nmap run. ID is the content hash of the raw XML, so ingesting the same file
// twice yields the same scan.
type Scan struct {
	ID          string
	Started     time.Time
	Finished    time.Time // zero for a truncated run
	Profile     string    // the riskmap tier that ran it, or "" for imported scans
	Args        string
	Targets     string
	HostsUp     int
	HostsDown   int
	Complete    bool // false for an interrupted or truncated run
	NmapVersion string
	Source      string // the file it came from
	MaxRate     int    // the --max-rate riskmap used, 0 when none
	RateReason  string // why that rate (adaptive rate)
}

// Host is one host in one scan, whatever its ports. It carries what nmap says of the host
// itself; its ports are Observations.
type Host struct {
	ScanID     string
	ScanTime   time.Time
	IP         string
	AssetID    string // joined by IP at scan time, "" when no asset had the address
	Status     string // up, down, unknown
	Reason     string
	Hostnames  []string
	OSMatch    string // best OS match name, "" when none
	OSAccuracy int
	// ExtraPorts counts ports nmap summarised instead of listing, by state ("closed": 997).
	ExtraPorts map[string]int
	Scripts    []Script // host scripts
}

// Observation is one port of one host in one scan.
type Observation struct {
	ScanID    string
	ScanTime  time.Time
	IP        string
	AssetID   string
	Port      int
	Proto     string // tcp, udp, sctp
	State     string // open, closed, filtered, open|filtered, ...
	Reason    string
	Service   string
	Product   string
	Version   string
	ExtraInfo string
	Tunnel    string // ssl when nmap saw TLS
	CPEs      []string
	Scripts   []Script
	OSMatch   string
}

// Open reports whether nmap saw the port open.
func (o *Observation) Open() bool { return o.State == "open" }

// Script is the output of one NSE script.
type Script struct {
	ID     string
	Output string
}
