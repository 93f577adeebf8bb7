package nse_test

import (
	"os"
	"testing"

	"github.com/riskmap/riskmap/datasets/lab/netns"
)

func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }
