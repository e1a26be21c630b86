#!/usr/bin/env bash
# Installs the Debian 12 packages prov builds and tests with, if missing.
# Usage: scripts/deps.sh [extra-package ...]   (needs root, or sudo)
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libexpat1-dev zlib1g-dev libssl-dev libsqlite3-dev
      libcmocka-dev python3-cram openssl binutils "$@")

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
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
