package scanner

import "time"

// LabRunner tunes the runner for a lab on loopback: the default rate (300 packets/s, for
// real networks and their rate limits) would make a 200-host lab take many minutes, while
// loopback carries tens of thousands of packets a second without loss.
func LabRunner(r RunnerConfig) RunnerConfig {
	r.Rate = RateConfig{Initial: 20000, Min: 1000, Max: 50000, Step: 5000, Decrease: 0.5, NoResponseShare: r.Rate.NoResponseShare}
	r.Parallel = 4
	r.HostTimeout = 2 * time.Minute
	return r
}
