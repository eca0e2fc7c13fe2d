#!/usr/bin/env bash
# Build the pinned Pulumi toolchain (toolchain/go.mod) into .toolchain/bin.
# Go's build cache (GOCACHE) and a module cache of our own live under the user's cache dir, so
# a second build, or a fresh clone on the same machine, relinks in seconds.
set -euo pipefail
cd "$(dirname "$0")"
cache="${XDG_CACHE_HOME:-$HOME/.cache}"
export GOMODCACHE="${GOMODCACHE_SITE_VPN:-$cache/site-vpn/go-mod}"
export GOCACHE="${GOCACHE:-$cache/go-build}"
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local
out="$(cd .. && pwd)/.toolchain/bin"
mkdir -p "$out"

version() { go list -m -f '{{.Version}}' "$1"; }

started=$SECONDS
pkg_version="$(version github.com/pulumi/pulumi/pkg/v3)"
go build -trimpath -o "$out/pulumi" \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pkg_version" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
echo "toolchain: pulumi $pkg_version in $out ($((SECONDS - started)) s)"
