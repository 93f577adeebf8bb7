package onnxpb

//go:generate sh -c "cp /usr/lib/python3/dist-packages/onnx/onnx-ml.proto . && protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx-ml.proto=github.com/riskmap/riskmap/models/onnxpb onnx-ml.proto && rm onnx-ml.proto"
