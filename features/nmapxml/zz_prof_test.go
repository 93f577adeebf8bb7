package nmapxml_test

import (
	"os"
	"testing"

	"github.com/riskmap/riskmap/features/nmapxml"
)

func BenchmarkProf(b *testing.B) {
	raw, err := os.ReadFile("/tmp/nx/syn.xml")
	if err != nil {
		f, _ := os.Create("/tmp/nx/syn.xml")
		nmapxml.WriteSynthetic(f, 100000, 1)
		f.Close()
		raw, _ = os.ReadFile("/tmp/nx/syn.xml")
	}
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for range b.N {
		if _, err := nmapxml.Parse(raw, nmapxml.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
