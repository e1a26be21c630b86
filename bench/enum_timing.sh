#!/bin/bash
# enum_timing.sh: does a miss tell by its timing what kind of miss it is?
# (issue 13 item 5, S-SEC-2; bench/README.md "Timing of misses").
#
#   1. builds prov and enum_timing in a Release tree ($BUILD);
#   2. a fresh inventory: the device of the test client certificate
#      (001122334455), another one (000e08abcdef), a disabled one, the
#      template of bench/render.sh (about 40 KB, 20 variables per scope);
#      routes '/$MA.xml template=$PN' and
#      '/e/$KEY_ID/$MA.cfg template=$PN gzip encrypt=openssl'; a test PKI
#      (tests/integration/servers.sh's prov_test_ca); the enumeration
#      defence off (--enum-miss-burst 0), so nothing is refused;
#   3. HTTP: enum_timing on one keep-alive connection, round-robin: an
#      unknown MAC, a disabled device, an unknown key id, a missing file,
#      and a served profile for comparison;
#   4. HTTPS with the certificate of 001122334455: the path of another
#      device (MAC not the certificate's), an unknown MAC, and its own
#      profile.
# Prints median and p90 per kind (µs, whole request on a warm connection)
# and the spread of the miss medians: (max - min) / min.
#
# usage: bench/enum_timing.sh [-n ROUNDS]   (default 3000 per kind)
# Environment: BUILD (default build/release), KEEP=1 keeps the temporary
# directory. Needs cmake, openssl, python3, curl.
set -euo pipefail

rounds=3000
while getopts n: o; do
	case $o in
	n) rounds=$OPTARG ;;
	*) echo "usage: $0 [-n ROUNDS]" >&2; exit 2 ;;
	esac
done
build=${BUILD:-build/release}
src=$PWD
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target prov-cli enum_timing >/dev/null
prov=$PWD/$build/cli/prov et=$PWD/$build/bench/enum_timing
tmp=$(mktemp -d /tmp/prov-enum-bench.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT

# The test PKI: only the CA function of the integration helpers.
# shellcheck disable=SC1091
(. "$src/tests/integration/servers.sh" && prov_test_ca "$tmp/pki" >/dev/null)
db=sqlite:$tmp/inv.db
mkdir -p "$tmp/root"
"$prov" device add 001122334455 --product CP-8841-3PCC --group sales --db "$db"
"$prov" device add 000e08abcdef --product CP-8841-3PCC --group sales --db "$db"
"$prov" device add 00aabbccddee --product CP-8841-3PCC --disabled --db "$db"
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
"$prov" serve --root "$tmp/root" --db "$db" --http 127.0.0.1:0 --https 127.0.0.1:0 \
	--cert "$tmp/pki/server.pem" --key "$tmp/pki/server.key" \
	--client-ca "$tmp/pki/ca.pem" --log-level notice --enum-miss-burst 0 \
	--http-keepalive-max 10000000 \
	--route '/$MA.xml template=$PN' \
	--route '/e/$KEY_ID/$MA.cfg template=$PN gzip encrypt=openssl' \
	>"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 200); do grep -q ' ready: ' "$tmp/serve.log" && break; sleep 0.05; done
http=$(sed -n 's/.*listening: http [^ ]*:\([0-9]*\)$/\1/p' "$tmp/serve.log")
https=$(sed -n 's/.*listening: https [^ ]*:\([0-9]*\)$/\1/p' "$tmp/serve.log")

echo "enum_timing: $rounds requests per kind, round-robin on one keep-alive connection"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
{
	"$et" -n "$rounds" 127.0.0.1 "$http" \
		unknown_mac=/0000000000ff.xml disabled=/00aabbccddee.xml \
		unknown_key_id=/e/7/000e08abcdef.cfg missing_file=/nothere.xml \
		served=/000e08abcdef.xml | sed 's/^/http /'
	"$et" -n "$rounds" -C "$tmp/pki/client.pem" -K "$tmp/pki/client.key" 127.0.0.1 "$https" \
		served=/001122334455.xml unknown_mac=/0000000000ff.xml \
		disabled=/00aabbccddee.xml mac_not_cert=/000e08abcdef.xml | sed 's/^/https /'
} | tee "$tmp/out"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '$2 != "served" {
	split($5, m, "="); v = m[2] + 0
	k = $1
	if (!(k in lo) || v < lo[k]) lo[k] = v
	if (!(k in hi) || v > hi[k]) hi[k] = v
} END {
	for (k in lo) printf "%s: miss medians %.1f-%.1f us, spread %.0f%%\n", k, lo[k], hi[k], (hi[k] - lo[k]) * 100 / lo[k]
}' "$tmp/out"
