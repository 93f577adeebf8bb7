module github.com/riskmap/riskmap

go 1.26.8

require (
	github.com/Ullaakut/nmap/v3 v3.0.6 // indirect
	github.com/apache/arrow-go/v18 v18.4.1 // indirect
	github.com/yalue/onnxruntime_go v1.27.0 // indirect
	golang.org/x/sync v0.16.0 // indirect
	golang.org/x/sys v0.35.0 // indirect
	golang.org/x/term v0.34.0 // indirect
	gonum.org/v1/gonum v0.16.0 // indirect
	google.golang.org/protobuf v1.36.8 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
