package estate_test

import (
	"io"
	"testing"

	"github.com/riskmap/riskmap/datasets/estate"
)

func big() estate.Config {
	cfg := estate.DefaultConfig()
	cfg.Hosts, cfg.Accounts, cfg.VPCs = 50_000, 6, 24
	return cfg
}

func BenchmarkGenerate50k(b *testing.B) {
	cfg := big()
	for b.Loop() {
		estate.Generate(cfg)
	}
	b.ReportMetric(float64(cfg.Hosts*b.N)/b.Elapsed().Seconds(), "hosts/s")
}

func BenchmarkAdvance50k(b *testing.B) {
	e := estate.Generate(big())
	for b.Loop() {
		e = e.Advance()
	}
	b.ReportMetric(float64(len(e.Instances)*b.N)/b.Elapsed().Seconds(), "hosts/s")
}

func BenchmarkTruth50k(b *testing.B) {
	e := estate.Generate(big())
	for b.Loop() {
		e.Truth()
	}
	b.ReportMetric(float64(len(e.Instances)*b.N)/b.Elapsed().Seconds(), "hosts/s")
}

func BenchmarkObservations50k(b *testing.B) {
	e := estate.Generate(big())
	rows := 0
	for b.Loop() {
		rows += len(e.Observations("bench", e.Time))
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkWriteAWS50k(b *testing.B) {
	e := estate.Generate(big())
	for b.Loop() {
		if err := e.WriteAWS(io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(e.Instances)*b.N)/b.Elapsed().Seconds(), "hosts/s")
}
