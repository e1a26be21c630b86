#!/usr/bin/env bash
# Installs the Debian 12 packages prov builds and tests with, if missing.
# Usage: scripts/deps.sh [extra-package ...]   (needs root, or sudo)
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libexpat1-dev zlib1g-dev libssl-dev libsqlite3-dev libcurl4-openssl-dev
      libcmocka-dev python3-cram python3-cryptography openssl binutils gzip xxd
      nginx tftpd-hpa tftp-hpa
      libhttp-parser-dev curl wrk atftp dnsmasq-base sqlite3
      libosip2-dev sip-tester chromium chromium-driver libjson-c-dev "$@")

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# atftpd (a TFTP server with RFC 7440 windowsize, a test and benchmark
# peer) conflicts with tftpd-hpa as a package, so it is unpacked beside
# rather than installed: /opt/prov-peers/atftpd/usr/sbin/atftpd.
PEERS=/opt/prov-peers
peers() {
	[ -x "$PEERS/atftpd/usr/sbin/atftpd" ] && return 0
	local tmp
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq atftpd >/dev/null 2>&1) || {
		$sudo apt-get update -qq && (cd "$tmp" && apt-get download -qq atftpd >/dev/null)
	}
	$sudo mkdir -p "$PEERS/atftpd"
	$sudo dpkg-deb -x "$tmp"/atftpd_*.deb "$PEERS/atftpd"
	rm -rf "$tmp"
}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
if [ ${#missing[@]} -eq 0 ]; then
	peers
	exit 0
fi

echo "prov: installing ${missing[*]}" >&2
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
peers
