#!/usr/bin/env bash
# Installs the Debian 12 packages prov builds and tests with, if missing.
# Usage: scripts/deps.sh [extra-package ...]   (needs root, or sudo)
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libexpat1-dev zlib1g-dev libssl-dev libsqlite3-dev libcurl4-openssl-dev
      libcmocka-dev python3-cram openssl binutils gzip xxd
      nginx tftpd-hpa tftp-hpa "$@")

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "prov: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
# Servers (nginx, tftpd-hpa) are installed for the tests, which start them
# on loopback themselves: keep the packages from starting system-wide
# daemons on all addresses (policy-rc.d 101 = "not allowed").
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
	$sudo chmod 755 /usr/sbin/policy-rc.d
	guard=1
fi
trap '[ -n "$guard" ] && $sudo rm -f /usr/sbin/policy-rc.d' EXIT
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
