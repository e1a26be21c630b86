#!/bin/bash
# scale_pg.sh: rendered resyncs/s of `prov serve` instances on one
# PostgreSQL against one on SQLite, in the same run (issue 16,
# Performance: "Two instances on PostgreSQL vs one on SQLite";
# bench/README.md, "scale_pg.sh").
#
#   1. builds prov in a Release tree ($BUILD); starts a throw-away
#      PostgreSQL (tests/integration/pg.sh: loopback, fsync off);
#   2. one inventory, loaded the same way into an SQLite file and into a
#      PostgreSQL database (`prov db migrate`, `prov device import`,
#      `prov template set`, `prov var set`, each with --db): DEVICES
#      devices with 10 variables each, 10 variables per group, product and
#      global, a template of about 4 KB (100 elements, 70 of them with a
#      macro); the route '/e/$MA.cfg template=$PN gzip encrypt=openssl',
#      so every response is rendered, gzipped and AES-encrypted with its
#      device's own key;
#   3. checks that every server answers the same profile: for 20 devices,
#      each response decrypted with the device's key (`prov unpack`) must
#      equal `prov device render`;
#   4. the rows, each ROUNDS times in turn (alternating), medians:
#        a    one `prov serve` on SQLite, 1 worker
#        b    one `prov serve` on PostgreSQL, 1 worker
#        c    two `prov serve` on the same PostgreSQL, 1 worker each,
#             separate ports, loaded together by two clients (summed)
#        a2   one `prov serve` on SQLite, --workers 2 (two serving
#             processes, as c has: the fairer peer of c on one machine)
#        b2   one `prov serve` on PostgreSQL, --workers 2 (c's two
#             processes in one instance)
#      Every row has CONNS connections in all (c: CONNS/2 per instance),
#      keep-alive, from wrk -t1 per client, whose Lua script walks the
#      device MACs in turn (c: the second client starts halfway), so the
#      requests hit every device rather than one cached profile. A row fails unless every response was 200 and the bytes
#      per response are those of a rendered response (+-2%).
#   5. prints requests/s, p99, ratio vs a, requests per CPU-second of the
#      servers (prov and postgres processes, user + system), and the load
#      average before and after.
#
# usage: bench/scale_pg.sh [-n DEVICES] [-d SECONDS] [-r ROUNDS] [-c CONNS]
#                          [-s ROWS]
#   defaults 1000, 5, 3, 64, a,b,c,a2,b2 (the first row is the base of the ratio)
# Environment: BUILD (default build/release), KEEP=1 keeps the temporary
# directory (and the PostgreSQL data). Needs cmake, wrk, curl, python3 and
# the PostgreSQL server binaries (scripts/deps.sh test).
set -euo pipefail

devices=1000 secs=5 rounds=3 conns=64 rows=a,b,c,a2,b2
usage() {
	echo "usage: $0 [-n DEVICES] [-d SECONDS] [-r ROUNDS] [-c CONNS] [-s ROWS]" >&2
	exit 2
}
while getopts n:d:r:c:s: o; do
	case $o in
	n) devices=$OPTARG ;;
	d) secs=$OPTARG ;;
	r) rounds=$OPTARG ;;
	c) conns=$OPTARG ;;
	s) rows=$OPTARG ;;
	*) usage ;;
	esac
done
[[ $devices =~ ^[1-9][0-9]*$ && $devices -le 1000000 ]] || usage
[[ $conns =~ ^[1-9][0-9]*$ && $((conns % 2)) = 0 ]] || { echo "scale_pg.sh: -c wants an even number" >&2; exit 2; }
for r in ${rows//,/ }; do
	case $r in a|a2|b|b2|c) ;; *) echo "scale_pg.sh: unknown row $r" >&2; exit 2 ;; esac
done
build=${BUILD:-build/release}
for c in cmake wrk curl python3; do
	command -v $c >/dev/null || { echo "scale_pg.sh: $c is needed" >&2; exit 2; }
done
src=$PWD
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target prov-cli >/dev/null
prov=$src/$build/cli/prov
pgsh=$src/tests/integration/pg.sh
tmp=$(mktemp -d /tmp/prov-scale-pg.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $tmp" >&2
	else
		bash "$pgsh" stop "$tmp/pg-state" >/dev/null 2>&1 || true
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
cd "$tmp"

TMPDIR=/tmp bash "$pgsh" start "$tmp/pg-state" >&2
# shellcheck disable=SC1091
. "$tmp/pg-state"
"$PROV_PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PROV_PG_PORT" -U prov -d postgres \
	-c 'CREATE DATABASE prov'
pgdb=$PROV_PG_URL/prov
sqdb=sqlite:$tmp/inv.db
pgver=$("$PROV_PG_BIN/postgres" -V | awk '{print $3}')

# The inventory: devices.csv, t.xml (about 4 KB) and the scoped variables.
python3 - "$devices" <<'PY'
import sys
n = int(sys.argv[1])
with open("devices.csv", "w") as f, open("macs", "w") as m:
    f.write("mac,product,group,serial," + ",".join("D%d" % i for i in range(10)) + "\n")
    for i in range(n):
        mac = "0e08%08x" % (0x10000 + i)
        m.write(mac + "\n")
        f.write("%s,CP-8841-3PCC,site-%d,SN%08d,%s\n" % (mac, i % 10, i,
            ",".join("dev-%d-%d" % (i, j) for j in range(10))))
with open("t.xml", "w") as f:
    f.write("<flat-profile>\n")
    for i in range(100):
        c = chr(ord("A") + i % 16)
        if i % 10 < 4:
            v = "$D%d" % (i % 10 * 2 + i // 10 % 2)
        elif i % 10 < 7:
            v = "$%s%d" % ("GPS"[i % 10 - 4], i // 10)
        else:
            v = "static-%03d" % i
        f.write("<GPP_%s ua=\"na\">%s-%s</GPP_%s>\n" % (c, v, "x" * 8, c))
    f.write("</flat-profile>\n")
PY
mapfile -t gvars < <(for i in $(seq 0 9); do echo "G$i=global-$i"; done)
mapfile -t pvars < <(for i in $(seq 0 9); do echo "P$i=product-$i"; done)
for db in "$sqdb" "$pgdb"; do
	"$prov" db migrate --db "$db" >/dev/null
	"$prov" device import devices.csv --db "$db" >/dev/null
	"$prov" template set CP-8841-3PCC t.xml --db "$db"
	"$prov" var set "${gvars[@]}" --db "$db"
	"$prov" var set --product CP-8841-3PCC "${pvars[@]}" --db "$db"
	for g in $(seq 0 9); do
		mapfile -t svars < <(for i in $(seq 0 9); do echo "S$i=site-$g-$i"; done)
		"$prov" var set --group "site-$g" "${svars[@]}" --db "$db"
	done
done
tsize=$(stat -c %s t.xml)
# shellcheck disable=SC2016
route='/e/$MA.cfg template=$PN gzip encrypt=openssl'
mkdir -p root

# Servers. As root, stay root (--user root): the SQLite file and the
# temporary directory are root's.
asroot=()
[ "$(id -u)" = 0 ] && asroot=(--user root)
start() { # NAME DB WORKERS
	"$prov" serve --root "$tmp/root" --db "$2" --workers "$3" --http 127.0.0.1:0 \
		--log-level notice "${asroot[@]}" \
		--route "$route" >"$tmp/$1.log" 2>&1 &
	pids+=($!)
	echo $! >"$tmp/$1.pid"
	for _ in $(seq 200); do grep -q ' ready: ' "$tmp/$1.log" && break; sleep 0.05; done
	grep -q ' ready: ' "$tmp/$1.log" || { cat "$tmp/$1.log" >&2; exit 1; }
	sed -n 's/.*listening: http [^ ]*:\([0-9]*\)$/\1/p' "$tmp/$1.log" | head -1 >"$tmp/$1.port"
}
need() { [[ ",$rows," == *",$1,"* ]]; }
need a && start a "$sqdb" 1
need a2 && start a2 "$sqdb" 2
need b && start b "$pgdb" 1
need b2 && start b2 "$pgdb" 2
need c && { start c1 "$pgdb" 1; start c2 "$pgdb" 1; }
port() { cat "$tmp/$1.port"; }

# Every server answers the same profile: decrypted with the device's key,
# the response is `prov device render`'s, gzipped.
servers=()
for s in a a2 b b2 c1 c2; do [ -e "$s.port" ] && servers+=("$s"); done
awk -v n="$devices" 'NR % int(n / 20 + 1) == 1' macs >sample
while read -r mac; do
	"$prov" device render "$mac" "/e/$mac.cfg" --db "$sqdb" \
		--route "$route" >want
	for s in "${servers[@]}"; do
		case $s in a|a2) db=$sqdb ;; *) db=$pgdb ;; esac
		curl -sf -o got.enc -D got.hdr "http://127.0.0.1:$(port "$s")/e/$mac.cfg"
		"$prov" unpack --key "$("$prov" device key "$mac" --db "$db")" got.enc -o got
		cmp -s want got || { echo "scale_pg.sh: $s: $mac: not the rendered profile" >&2; exit 1; }
		echo $(($(stat -c %s got.enc) + $(stat -c %s got.hdr)))
	done
done <sample >sizes
rsize=$(sort -n sizes | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
bsize=$(stat -c %s got.enc)

# wrk's script: each connection walks the MACs from its own start, and
# done() prints one line: requests, seconds, bytes, p99 µs, errors
# (status >= 400, connect, read, write, timeout).
cat >walk.lua <<'LUA'
-- wrk has no connection id in request(): one counter per client (wrk
-- thread) steps through the list, so consecutive requests, whatever
-- connection they go on, are for consecutive devices.
local macs = {}
for line in io.lines(os.getenv("WALK_MACS")) do macs[#macs + 1] = line end
local i = tonumber(os.getenv("WALK_FIRST"))
function request()
	i = i % #macs + 1
	return wrk.format("GET", "/e/" .. macs[i] .. ".cfg")
end
function done(s, lat, req)
	local e = s.errors
	io.write(string.format("WALK %d %.3f %d %d %d %d %d %d %d\n",
		s.requests, s.duration / 1e6, s.bytes, lat:percentile(99),
		e.status, e.connect, e.read, e.write, e.timeout))
end
LUA

cpu_ticks() { # PID...: user + system ticks of these processes and their children
	local p all=()
	for p in "$@"; do
		all+=("$p")
		# shellcheck disable=SC2207
		all+=($(ps -o pid= --ppid "$p" 2>/dev/null))
	done
	for p in "${all[@]}"; do
		awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$p/stat" 2>/dev/null || true
	done | awk '{t += $1} END {print t + 0}'
}
pgpid=$(head -1 "$PROV_PG_DIR/data/postmaster.pid")
hz=$(getconf CLK_TCK)

# wrk_run SECONDS CONNS PORT FIRST OUT
wrk_run() {
	WALK_MACS=$tmp/macs WALK_FIRST=$4 \
		wrk -t1 -c"$2" -d"$1s" --timeout 10s -s walk.lua "http://127.0.0.1:$3/" >"$5" 2>&1
}
# row NAME: one measurement, one line "rps p99_ms cpu_s"
row() {
	local r=$1 ps=() ports=() w=() i n tick0 tick1
	case $r in
	a|a2|b|b2) ps=("$(cat "$r.pid")"); ports=("$(port "$r")") ;;
	c) ps=("$(cat c1.pid)" "$(cat c2.pid)"); ports=("$(port c1)" "$(port c2)") ;;
	esac
	n=${#ports[@]}
	for i in "${!ports[@]}"; do # warm-up
		wrk_run 1 $((conns / n)) "${ports[$i]}" $((i * devices / n)) /dev/null &
		w+=($!)
	done
	wait "${w[@]}"
	w=()
	[[ $r == b* || $r == c ]] && ps+=("$pgpid")
	tick0=$(cpu_ticks "${ps[@]}")
	for i in "${!ports[@]}"; do
		wrk_run "$secs" $((conns / n)) "${ports[$i]}" $((i * devices / n)) "out.$r.$i" &
		w+=($!)
	done
	wait "${w[@]}" # not the servers
	tick1=$(cpu_ticks "${ps[@]}")
	for i in "${!ports[@]}"; do
		grep '^WALK ' "out.$r.$i" || { cat "out.$r.$i" >&2; exit 1; }
	done | awk -v r="$r" -v rs="$rsize" -v cpu=$((tick1 - tick0)) -v hz="$hz" '
		{ n += $2; rps += $2 / $3; by += $4; if ($5 > p99) p99 = $5
		  for (i = 6; i <= 10; i++) err += $i }
		END {
			if (err > 0) { printf "scale_pg.sh: row %s: %d errors\n", r, err > "/dev/stderr"; exit 1 }
			if (n == 0 || by / n < rs * 0.98 || by / n > rs * 1.02) {
				printf "scale_pg.sh: row %s: %.0f bytes per response, want %d\n", r, n ? by / n : 0, rs > "/dev/stderr"; exit 1 }
			printf "%.0f %.2f %.2f %d\n", rps, p99 / 1000, cpu / hz, n
		}'
}

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in ${rows//,/ }; do : >"res.$r"; done
for k in $(seq "$rounds"); do
	for r in ${rows//,/ }; do
		row "$r" >>"res.$r"
		echo "round $k row $r: $(tail -1 "res.$r")" >&2
	done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

declare -A label=(
	[a]="(a) one prov serve, SQLite, 1 worker"
	[b]="(b) one prov serve, PostgreSQL, 1 worker"
	[c]="(c) two prov serve, one PostgreSQL, 1 worker each (summed)"
	[a2]="(a2) one prov serve, SQLite, 2 workers"
	[b2]="(b2) one prov serve, PostgreSQL, 2 workers"
)
first=${rows%%,*}
base=$(cut -d' ' -f1 "res.$first" | median)
echo "prov serve, rendered gzip + AES per device, $devices devices, template $tsize bytes,"
echo "response $bsize-byte body ($rsize bytes with headers); HTTP keep-alive, wrk -t1 per"
echo "client, $conns connections per row, ${secs}s, $rounds rounds (medians);"
echo "PostgreSQL $pgver (loopback, fsync off); $(nproc) cores; load average $load0 -> $load1"
echo
echo "| row | requests/s | p99 ms | vs ($first) | requests per server CPU-s |"
echo "|---|---:|---:|---:|---:|"
for r in ${rows//,/ }; do
	rps=$(cut -d' ' -f1 "res.$r" | median)
	p99=$(cut -d' ' -f2 "res.$r" | median)
	pcs=$(awk '{print $4 / $3}' "res.$r" | median)
	awk -v l="${label[$r]}" -v rps="$rps" -v p="$p99" -v b="$base" -v pcs="$pcs" \
		'BEGIN {printf "| %s | %d | %s | %.2f | %.0f |\n", l, rps, p, rps / b, pcs}'
done
