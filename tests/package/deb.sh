#!/usr/bin/env bash
# The Debian packages, end to end (docs/PACKAGING.md):
#   1. dpkg-buildpackage -us -uc -b builds prov, libprov0 and libprov-dev
#      from a copy of the source tree;
#   2. lintian finds nothing at the error and warning levels;
#   3. libprov-dev builds and links a program through pkg-config;
#   4. in a fresh Debian 12 root (debootstrap minbase from this machine's
#      mirror, cached under the build directory and copied anew each run)
#      the packages install with dpkg, `prov --version` runs and the
#      packaged /etc/prov/prov.conf passes `prov serve --check`;
#   5. systemd-analyze verifies prov-serve.service in that root and its
#      `security --offline` exposure is the one docs/PACKAGING.md records;
#   6. purging removes the configuration and the empty served tree.
# Never installs anything on this machine's own root. Needs root (chroot);
# exits 77 (skip, which CI refuses) when a tool or root is missing.
# Usage: deb.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
work=$2
say() { printf 'package: %s\n' "$*"; }
fail() { printf 'package: FAIL: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
	say "skipped: needs root for chroot and debootstrap"
	exit 77
fi
for t in dpkg-buildpackage dh lintian debootstrap systemd-analyze chroot pkg-config cc; do
	if ! command -v "$t" >/dev/null; then
		say "skipped: $t is missing (scripts/deps.sh test installs it)"
		exit 77
	fi
done

mkdir -p "$work"
work=$(cd "$work" && pwd)
out=$work/out
rm -rf "$out" "$work/run" "$work/dev"
mkdir -p "$out/prov"

# 1. Build from a copy: dpkg-buildpackage writes into the tree it builds.
say "copying the source tree"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		(cd "$src" && xargs -0 tar --ignore-failed-read -cf - 2>/dev/null) |
		tar -xf - -C "$out/prov"
else
	tar -C "$src" --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$out/prov"
fi
version=$(cd "$out/prov" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
say "dpkg-buildpackage -us -uc -b (prov $version)"
if ! (cd "$out/prov" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -40 "$out/build.log"
	fail "dpkg-buildpackage failed (log: $out/build.log)"
fi
for p in prov libprov0 libprov-dev; do
	[ -f "$out/${p}_${version}_${arch}.deb" ] || fail "no ${p}_${version}_${arch}.deb"
done

# 2. lintian: overrides, if ever needed, live in debian/*.lintian-overrides
# with their reason.
say "lintian --fail-on error,warning"
if ! lintian --fail-on error,warning --display-level '>=warning' \
	"$out/prov_${version}_${arch}.changes" >"$out/lintian.log" 2>&1; then
	cat "$out/lintian.log"
	fail "lintian reported errors or warnings"
fi
if grep -E '^[EW]: ' "$out/lintian.log"; then
	fail "lintian reported errors or warnings"
fi

# 3. The development package: a program built with pkg-config's flags.
say "libprov-dev: a program through pkg-config prov"
mkdir -p "$work/dev"
dpkg-deb -x "$out/libprov0_${version}_${arch}.deb" "$work/dev"
dpkg-deb -x "$out/libprov-dev_${version}_${arch}.deb" "$work/dev"
cat >"$work/dev/use.c" <<'EOF'
#include <prov/prov.h>
#include <stdio.h>
int main(void) { printf("%s\n", prov_version()); return 0; }
EOF
multi=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
# The packaged prov.pc, moved to where it was unpacked; the -dev packages it
# requires are this machine's (the build dependencies).
flags=$(PKG_CONFIG_PATH=$work/dev/usr/lib/$multi/pkgconfig \
	pkg-config --define-variable=prefix="$work/dev/usr" --cflags --libs prov)
# shellcheck disable=SC2086 # pkg-config's flags are words
cc -o "$work/dev/use" "$work/dev/use.c" $flags
got=$(LD_LIBRARY_PATH=$work/dev/usr/lib/$multi "$work/dev/use")
[ "$got" = "$version" ] || fail "libprov says version '$got', the package is $version"

# 4. A fresh Debian 12 root: the packages' dependencies (and systemd, for
# the unit's checks) from the mirror apt uses here, made once per
# dependency list, then copied for each run.
mirror=$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	/etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
	sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p; s/^deb  *\(http[^ ]*debian\)  *bookworm .*/\1/p' |
	head -1)
mirror=${mirror:-http://deb.debian.org/debian}
deps=$(for p in prov libprov0; do
	dpkg-deb -f "$out/${p}_${version}_${arch}.deb" Depends; echo ,; done |
	tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/ //g' | grep -v -e '^$' -e '^libprov0$' |
	sort -u | paste -sd, -)
base=$work/debian12
want="bookworm $mirror $deps,systemd"
if [ ! -f "$base.stamp" ] || [ "$(cat "$base.stamp")" != "$want" ]; then
	say "debootstrap --variant=minbase bookworm from $mirror (cached in $base)"
	rm -rf "$base" "$base.stamp"
	if ! debootstrap --variant=minbase --include="$deps,systemd" bookworm "$base" \
		"$mirror" >"$work/debootstrap.log" 2>&1; then
		tail -20 "$work/debootstrap.log"
		fail "debootstrap failed (log: $work/debootstrap.log)"
	fi
	echo "$want" >"$base.stamp"
fi
root=$work/run
cp -a "$base" "$root"
trap 'rm -rf "$root"' EXIT
grep -q '^VERSION_CODENAME=bookworm' "$root/etc/os-release" || fail "the root is not Debian 12"
[ ! -e "$root/usr/bin/prov" ] || fail "the fresh root already has prov"
cp "$out/prov_${version}_${arch}.deb" "$out/libprov0_${version}_${arch}.deb" "$root/tmp/"
say "dpkg -i in the fresh root"
chroot "$root" dpkg -i "/tmp/prov_${version}_${arch}.deb" "/tmp/libprov0_${version}_${arch}.deb" \
	>"$out/install.log" 2>&1 || { cat "$out/install.log"; fail "dpkg -i failed in the root"; }
got=$(chroot "$root" prov --version)
[ "$got" = "prov $version" ] || fail "prov --version in the root said '$got'"
got=$(chroot "$root" prov serve --config /etc/prov/prov.conf --check 2>&1) ||
	fail "prov serve --check with the packaged config: $got"
[ "$got" = "configuration ok" ] || fail "prov serve --check said '$got'"
# libcurl is loaded on the first fetch (lib/curlfn.c), not linked: the
# package must depend on it by name. A fetch from a closed loopback port
# fails as a network error, not as a missing library.
got=$(chroot "$root" sh -c 'prov phone init --state /tmp/ph --mac 02:00:00:00:00:01 &&
	prov phone resync --state /tmp/ph http://127.0.0.1:9/x.xml' 2>&1) &&
	fail "a resync from a closed port succeeded: $got"
case $got in
*libcurl*) fail "libcurl is not usable in the root: $got" ;;
*"resync failed"*) ;;
*) fail "a resync in the root said '$got'" ;;
esac
[ -d "$root/srv/prov" ] || fail "postinst did not make /srv/prov"
[ -L "$root/etc/systemd/system/multi-user.target.wants/prov-serve.service" ] ||
	fail "prov-serve.service is not enabled"
for m in man1/prov.1 man1/prov-phone.1 man5/prov.conf.5 man8/prov-serve.8; do
	[ -f "$root/usr/share/man/$m.gz" ] || fail "man page $m is not installed"
done
chroot "$root" dpkg-query -W -f='${Conffiles}\n' prov | grep -q ' /etc/prov/prov.conf ' ||
	fail "/etc/prov/prov.conf is not a conffile"

# 5. The unit, as installed. Its man pages (Documentation=) were checked
# above: systemd-analyze would look for them on this machine.
say "systemd-analyze verify and security --offline=yes"
unit=/lib/systemd/system/prov-serve.service
got=$(systemd-analyze verify --man=no --root="$root" "$unit" 2>&1) ||
	fail "systemd-analyze verify: $got"
[ -z "$got" ] || fail "systemd-analyze verify: $got"
score=$(systemd-analyze security --offline=yes --root="$root" prov-serve.service 2>&1 |
	sed -n 's/.*Overall exposure level for prov-serve.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "systemd-analyze security printed no exposure level"
doc=$(sed -n 's/.*exposure level: \*\*\([0-9.]*\)\*\*.*/\1/p' "$src/docs/PACKAGING.md" | head -1)
[ "$score" = "$doc" ] ||
	fail "exposure level $score, docs/PACKAGING.md records '$doc': update one or the other"
say "exposure level $score (docs/PACKAGING.md: $doc)"

# 6. Purge.
chroot "$root" dpkg --purge prov libprov0 >"$out/purge.log" 2>&1 ||
	{ cat "$out/purge.log"; fail "dpkg --purge failed"; }
for gone in /etc/prov /srv/prov /usr/bin/prov "$unit"; do
	[ ! -e "$root$gone" ] || fail "$gone is left after purge"
done
say "ok: built, lintian clean, installed and checked in a fresh Debian 12 root"
