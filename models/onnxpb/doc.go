// Package onnxpb holds the ONNX protobuf types, generated from the onnx-ml.proto that
// Debian's python3-onnx (1.12) ships. The generated file is committed; regenerate with
//
//	go generate ./models/onnxpb
//
// which needs protoc (Debian's protobuf-compiler) and protoc-gen-go v1.36.8
// (go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.8).
package onnxpb
