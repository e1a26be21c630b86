#!/bin/bash
# render.sh: a rendered, gzip + AES per-device profile against a static
# file of the same size, served by the same `prov serve` on the same port
# in the same run (issue 13, Performance; bench/README.md). Then
# bench_render: what one render of a 40 KB template costs.
#
#   1. builds prov and bench_render in a Release tree ($BUILD);
#   2. a fresh inventory: one device, 20 variables in each scope, and a
#      template of about 40 KB (1,000 elements, one macro each); the route
#      '/e/$MA.cfg template=$PN gzip encrypt=openssl';
#   3. static.bin: one rendered response saved as a file in the root, so
#      both rows send the same number of bytes;
#   4. wrk -t1 -c64 -dSECONDS, keep-alive, each row ROUNDS times
#      alternating; prints the medians and the ratio rendered/static.
#
# usage: bench/render.sh [-d SECONDS] [-r ROUNDS]   (defaults 5 and 3)
# Environment: BUILD (default build/release), KEEP=1 keeps the temporary
# directory. Needs cmake, wrk, curl.
set -euo pipefail

secs=5 rounds=3
while getopts d:r: o; do
	case $o in
	d) secs=$OPTARG ;;
	r) rounds=$OPTARG ;;
	*) echo "usage: $0 [-d SECONDS] [-r ROUNDS]" >&2; exit 2 ;;
	esac
done
build=${BUILD:-build/release}
for c in cmake wrk curl; do
	command -v $c >/dev/null || { echo "render.sh: $c is needed" >&2; exit 2; }
done
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target prov-cli bench_render >/dev/null
prov=$PWD/$build/cli/prov
tmp=$(mktemp -d /tmp/prov-render-bench.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT

db=sqlite:$tmp/inv.db
mkdir -p "$tmp/root"
"$prov" device add 001122334455 --product CP-8841-3PCC --group sales --db "$db"
python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
with open(d + "/t.xml", "w") as f:
    f.write("<flat-profile>\n")
    for i in range(1000):
        c = chr(ord("A") + i % 16)
        f.write("<GPP_%s>prefix-$V%d-suffix-%05d</GPP_%s>\n" % (c, i % 20, i, c))
    f.write("</flat-profile>\n")
with open(d + "/vars", "w") as f:
    f.write(" ".join("V%d=value-%d" % (i, i) for i in range(20)))
PY
"$prov" template set CP-8841-3PCC "$tmp/t.xml" --db "$db"
for s in "" "--group sales" "--product CP-8841-3PCC" "--device 001122334455"; do
	# shellcheck disable=SC2046,SC2086
	"$prov" var set $s $(cat "$tmp/vars") --db "$db"
done
"$prov" serve --root "$tmp/root" --db "$db" --http 127.0.0.1:0 --log-level notice \
	--route '/e/$MA.cfg template=$PN gzip encrypt=openssl' >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q ' ready: ' "$tmp/serve.log" && break; sleep 0.05; done
port=$(sed -n 's/.*listening: http [^ ]*:\([0-9]*\)$/\1/p' "$tmp/serve.log")
curl -sf -o "$tmp/root/static.bin" "http://127.0.0.1:$port/e/001122334455.cfg"
size=$(stat -c %s "$tmp/root/static.bin")

rps() { # PATH
	wrk -t1 -c64 -d1s "http://127.0.0.1:$port$1" >/dev/null
	wrk -t1 -c64 -d"${secs}s" "http://127.0.0.1:$port$1" |
		awk '/^Requests\/sec/ {print $2}'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$tmp/static" && : >"$tmp/rendered"
for _ in $(seq "$rounds"); do
	rps /static.bin >>"$tmp/static"
	rps /e/001122334455.cfg >>"$tmp/rendered"
done
st=$(median <"$tmp/static") re=$(median <"$tmp/rendered")
echo "prov serve, HTTP keep-alive, wrk -t1 -c64 -d${secs}s, $rounds rounds, $size-byte body"
echo
echo "| row | requests/s | ratio |"
echo "|---|---:|---:|"
echo "| static file | $st | 1.00 |"
awk -v s="$st" -v r="$re" 'BEGIN {printf "| rendered gzip + AES per device | %s | %.2f |\n", r, r / s}'
echo
"$PWD/$build/bench/bench_render"
