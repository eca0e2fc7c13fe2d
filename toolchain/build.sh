#!/usr/bin/env bash
# Build the real Pulumi toolchain from its released source (../shared/upstream, or
# $SITE_VPN_UPSTREAM) and the Go module proxy: the CLI, the Python, YAML and Go language hosts,
# and the openstack and random resource providers, at the versions in versions.env.
#
# One build per machine: the binaries are cached under the user's cache dir, keyed by the
# archives' checksums, this script and the Go version, so a fresh clone only links them. Then
# the providers are installed into the project's own PULUMI_HOME (.toolchain/home) with
# `pulumi plugin install --file`: nothing is ever downloaded by the engine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=versions.env
source "$here/versions.env"
upstream="$(cd "${SITE_VPN_UPSTREAM:-$root/../shared/upstream}" && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/site-vpn"
export GOMODCACHE="$cache/go-mod" GOCACHE="${GOCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/go-build}"
export GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -trimpath"

(cd "$upstream" && sha256sum --quiet --check SHA256SUMS) || {
  echo "toolchain: $upstream does not match its SHA256SUMS" >&2; exit 1; }

# Bump when the build steps below change what is built (cosmetic edits keep the cache).
recipe=2
key="$( { cat "$upstream/SHA256SUMS" "$here/versions.env"; echo "$recipe"; go version; } |
  sha256sum | cut -c1-16)"
store="$cache/toolchain/$key"
started=$SECONDS

if [ ! -x "$store/providers/pulumi-resource-random" ]; then
  mkdir -p "$cache/toolchain"
  exec {lock}>"$cache/toolchain/.lock"
  flock "$lock"
fi
if [ ! -x "$store/providers/pulumi-resource-random" ]; then
  work="$cache/toolchain/$key.work"
  rm -rf "$work"; mkdir -p "$work/src" "$work/bin" "$work/providers"
  for archive in pulumi-$PULUMI_VERSION pulumi-openstack-$OPENSTACK_VERSION \
                 pulumi-random-$RANDOM_VERSION pulumi-yaml-$YAML_COMMIT pulumi-dotnet-$DOTNET_COMMIT; do
    tar -xzf "$upstream/$archive.tar.gz" -C "$work/src"
  done
  src="$work/src"; bin="$work/bin"
  cli_ver="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
  step() { local t=$SECONDS; "$@"; echo "toolchain:   $(basename "${@: -2:1}") $((SECONDS - t)) s"; }
  gobuild() { (cd "$1" && go build -ldflags "$2" -o "$3" "$4"); }

  step gobuild "$src/pulumi-$PULUMI_VERSION/pkg" "$cli_ver" "$bin/pulumi" ./cmd/pulumi
  step gobuild "$src/pulumi-$PULUMI_VERSION/sdk/python/cmd/pulumi-language-python" "$cli_ver" \
    "$bin/pulumi-language-python" .
  install -m 0755 "$src/pulumi-$PULUMI_VERSION/sdk/python/cmd/pulumi-language-python-exec" "$bin/"
  step gobuild "$src/pulumi-$PULUMI_VERSION/sdk/go/pulumi-language-go" "$cli_ver" \
    "$bin/pulumi-language-go" .
  step gobuild "$src/pulumi-yaml-$YAML_COMMIT" \
    "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=$YAML_PSEUDO" \
    "$bin/pulumi-language-yaml" ./cmd/pulumi-language-yaml

  # The providers embed their schema with the version set (upstream's generate.go does it).
  os="$src/pulumi-openstack-$OPENSTACK_VERSION/provider"
  (cd "$os/cmd/pulumi-resource-openstack" && VERSION="$OPENSTACK_VERSION" go run ./generate.go)
  step gobuild "$os" \
    "-X github.com/pulumi/pulumi-openstack/provider/v5/pkg/version.Version=$OPENSTACK_VERSION" \
    "$work/providers/pulumi-resource-openstack" ./cmd/pulumi-resource-openstack

  rnd="$src/pulumi-random-$RANDOM_VERSION/provider"
  (cd "$rnd" &&
    go mod edit -replace "github.com/pulumi/pulumi-yaml@$YAML_PSEUDO=$src/pulumi-yaml-$YAML_COMMIT" \
      -replace "github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3@$DOTNET_PSEUDO=$src/pulumi-dotnet-$DOTNET_COMMIT/pulumi-language-dotnet")
  (cd "$rnd/cmd/pulumi-resource-random" && VERSION="$RANDOM_VERSION" go run ./generate.go)
  step gobuild "$rnd" \
    "-X github.com/pulumi/pulumi-random/provider/v4/pkg/version.Version=$RANDOM_VERSION" \
    "$work/providers/pulumi-resource-random" ./cmd/pulumi-resource-random

  rm -rf "$store"; mkdir -p "$store"; mv "$bin" "$work/providers" "$store/"; rm -rf "$work"
  # One build per machine: older ones (another version or recipe) go.
  find "$cache/toolchain" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
  echo "toolchain: built into $store in $((SECONDS - started)) s"
fi

# The project's own links and PULUMI_HOME (both ignored by git).
out="$root/.toolchain"
mkdir -p "$out"
# The CLI and language hosts go on PATH; the providers only into PULUMI_HOME (a provider found
# on PATH would be used with a warning on every run).
ln -sfn "$store/bin" "$out/bin"
export PULUMI_HOME="$out/home" PULUMI_SKIP_UPDATE_CHECK=true
for provider in openstack:$OPENSTACK_VERSION random:$RANDOM_VERSION; do
  name="${provider%%:*}" version="${provider##*:}"
  if [ ! -x "$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name" ]; then
    "$out/bin/pulumi" plugin install resource "$name" "v$version" \
      --file "$store/providers/pulumi-resource-$name" >/dev/null 2>&1
  fi
done
# For a shell: `source .toolchain/env` puts this toolchain first (README, "Deploying for real").
cat >"$out/env" <<ENV
export PATH="$out/bin:\$PATH"
export PULUMI_HOME="$out/home"
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
ENV
echo "toolchain: pulumi v$PULUMI_VERSION, openstack $OPENSTACK_VERSION, random $RANDOM_VERSION in $out ($((SECONDS - started)) s)"
