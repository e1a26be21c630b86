#!/usr/bin/env bash
# Runs one of the README's two commands in a fresh Debian 12, as a new user
# would: a debootstrap minbase root (made once, then reused), a fresh clone
# of this checkout's HEAD and a copy of ../shared in it, run as root in a
# private mount namespace with the root bound onto itself and proc, sys and
# dev bound in. Its /etc/hosts is Debian's stock one (localhost is ::1 too).
#
# usage: scripts/fresh-debian.sh [test|demo]     (needs root and debootstrap)
#   FRESH_ROOT=DIR   where the root lives (default /var/tmp/prov-fresh); a
#                    root that already exists is reused, its old clone removed
#   FRESH_KEEP=1     keep the packages installed by an earlier run (faster;
#                    without it, start from a new debootstrap: rm -rf DIR)
# The chroot has no network namespaces of its own (`ip netns exec` cannot
# remount /sys there), so cli/dhcp_netns is allowed to skip, and only it.
set -euo pipefail
what=${1:-test}
case $what in test|demo) ;; *) echo "usage: $0 [test|demo]" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)
root=${FRESH_ROOT:-/var/tmp/prov-fresh}
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources \
	2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}

[ "$(id -u)" -eq 0 ] || { echo "$0: run as root" >&2; exit 2; }
if [ -z "${FRESH_KEEP:-}" ] && [ -e "$root" ]; then
	rm -rf "$root"
fi
if [ ! -x "$root/bin/sh" ]; then
	command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap
	debootstrap --variant=minbase \
		--include=ca-certificates,procps,iproute2,netbase \
		bookworm "$root" "$mirror"
fi
rm -rf "$root/work"
mkdir -p "$root/work"
git clone -q "$src" "$root/work/prov"
cp -a "$src/../shared" "$root/work/shared"
cp /etc/resolv.conf "$root/etc/resolv.conf"

cmd="scripts/test.sh"
[ "$what" = demo ] && cmd="scripts/demo.sh"
exec unshare -m /bin/bash -euc '
	root=$1; cmd=$2
	mount --make-rprivate /
	mount --bind "$root" "$root"
	mount -t proc proc "$root/proc"
	mount --rbind /sys "$root/sys"
	mount --rbind /dev "$root/dev"
	exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb CI=true \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		PROV_ALLOW_SKIP="^cli/dhcp_netns\$" \
		/bin/bash -c "cd /work/prov && $cmd"
' fresh "$root" "$cmd"
