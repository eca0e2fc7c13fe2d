//go:build tools

// Package tools pins the Pulumi binaries that site-vpn builds: `go build` of these main
// packages inside this module uses exactly the versions in go.mod and go.sum.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
