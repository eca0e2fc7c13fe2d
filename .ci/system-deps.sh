#!/usr/bin/env bash
# Debian packages the real-cloud suites need: strongSwan (charon with the userspace
# kernel-libipsec plugin, swanctl for the customer device, starter/ipsec for neutron-vpnaas's
# driver), RabbitMQ (the cloud's message bus), iptables, arping and conntrack (what the L3 agent
# runs in router namespaces), iproute2 for namespaces. Installs only what is missing; needs root
# (or sudo). Without either it says so and returns, and the cloud tests skip locally (in CI, with
# CI=true, they fail instead).
set -euo pipefail
packages=(strongswan-charon strongswan-swanctl strongswan-starter libcharon-extra-plugins
          libstrongswan-extra-plugins libstrongswan-standard-plugins iproute2 iputils-ping
          rabbitmq-server iptables iputils-arping conntrack)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"
else echo "system-deps: not root, cannot install ${missing[*]} (cloud tests will skip)"; exit 0
fi
echo "system-deps: installing ${missing[*]}"
$sudo apt-get update -qq
# The packages' own service starts are refused in this sandbox (policy-rc.d); the suite starts
# RabbitMQ itself, on loopback and a free port.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
