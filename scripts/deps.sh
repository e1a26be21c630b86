#!/usr/bin/env bash
# Installs the Debian 12 packages prov needs for one purpose, if missing:
#   scripts/deps.sh build   compile prov (configure needs libcmocka-dev too)
#   scripts/deps.sh demo    build + what scripts/demo.sh runs (curl)
#   scripts/deps.sh test    build + the test peers and tools scripts/test.sh
#                           runs (nginx, tftpd, sipp, chromium, packaging,
#                           the PostgreSQL server the pg tests start...)
# Without a purpose (or with extra package names only) it installs the test
# set, as it always did: scripts/deps.sh [PURPOSE] [extra-package ...].
# Needs root, or sudo. Prints what it installs and its progress.
set -euo pipefail

build=(build-essential cmake pkg-config python3
       libexpat1-dev zlib1g-dev libssl-dev libsqlite3-dev libcurl4-openssl-dev
       libhttp-parser-dev libosip2-dev libsystemd-dev libcmocka-dev libjson-c-dev
       libpq-dev)
demo=("${build[@]}" curl)
test=("${build[@]}" python3-cram python3-cryptography openssl binutils gzip xxd
      nginx tftpd-hpa tftp-hpa curl wrk atftp dnsmasq-base sqlite3
      sip-tester chromium chromium-driver
      debhelper dpkg-dev lintian mandoc debootstrap systemd strace
      postgresql postgresql-client)

purpose=test
case "${1:-}" in
build|demo|test) purpose=$1; shift ;;
-h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac
declare -n set_of="$purpose"
pkgs=("${set_of[@]}" "$@")

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
# atftpd (a TFTP server with RFC 7440 windowsize, a test and benchmark
# peer) conflicts with tftpd-hpa as a package, so it is unpacked beside
# rather than installed: /opt/prov-peers/atftpd/usr/sbin/atftpd.
PEERS=/opt/prov-peers
peers() {
	[ "$purpose" = test ] || return 0
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
if [ ${#missing[@]} -eq 0 ]; then
	peers
	exit 0
fi

echo "prov: installing for $purpose: ${missing[*]}" >&2
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
# PostgreSQL likewise: the pg tests run their own server from
# /usr/lib/postgresql/*/bin in a temporary directory (tests/integration/
# pg.sh), never a system cluster. Debian's postinst would create cluster
# VERSION/main (and start it on localhost:5432 but for the guard above):
# while installing, createcluster.d says not to create it.
nomain=/etc/postgresql-common/createcluster.d/00-prov-deps-no-main.conf
nomain_guard=""
if [[ " ${missing[*]} " == *" postgresql"* ]] && [ ! -e "$nomain" ]; then
	$sudo mkdir -p "${nomain%/*}"
	echo 'create_main_cluster = false' | $sudo tee "$nomain" >/dev/null
	nomain_guard=1
fi
trap '[ -n "$guard" ] && $sudo rm -f /usr/sbin/policy-rc.d
      [ -n "$nomain_guard" ] && $sudo rm -f "$nomain" &&
	$sudo rmdir "${nomain%/*}" 2>/dev/null' EXIT
echo "prov: apt-get update" >&2
$sudo apt-get update -qq
# Progress: packages fetched and set up, counted (every tenth and the last).
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" 2>&1 |
	awk '/^Need to get/ { print "prov: " $0 > "/dev/stderr" }
	     /^[0-9]+ upgraded, [0-9]+ newly installed/ { total = $3 + $1
		print "prov: " $0 > "/dev/stderr" }
	     /^Get:/ { if (++got % 10 == 0 || got == total)
		printf "prov: fetched %d/%d (%s)\n", got, total, $5 > "/dev/stderr" }
	     /^Setting up / { if (++set % 10 == 0 || set == total)
		printf "prov: set up %d/%d (%s)\n", set, total, $3 > "/dev/stderr" }
	     /^E: / { print > "/dev/stderr" }'; then
	echo "prov: apt-get install failed" >&2
	exit 1
fi
peers
