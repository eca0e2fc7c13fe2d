#!/usr/bin/env bash
# Debian packages the e2e suite needs: strongSwan (charon with the userspace kernel-libipsec
# plugin, swanctl, starter for the neutron-style cloud side) and iproute2 for namespaces.
# Installs only what is missing; needs root (or sudo). Without either it says so and returns,
# and the e2e tests skip locally (in CI, with CI=true, they fail instead).
set -euo pipefail
packages=(strongswan-charon strongswan-swanctl strongswan-starter libcharon-extra-plugins
          libstrongswan-extra-plugins libstrongswan-standard-plugins iproute2 iputils-ping)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"
else echo "system-deps: not root, cannot install ${missing[*]} (e2e tests will skip)"; exit 0
fi
echo "system-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
