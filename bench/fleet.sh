#!/bin/bash
# fleet.sh: `prov fleet` as a load generator and what it costs
# (bench/README.md, "prov fleet"; issue 16, Performance), in one run:
#
#   1. throughput and memory: COUNT phones, one explicit HTTP resync each
#      of a 4 KB profile (64 parameters), against prov serve and against
#      nginx serving the same file (the anchor: a server that costs
#      little, so more of the two cores goes to the fleet); prints the
#      fleet's summary (resyncs/s, resyncs per CPU-second of the fleet,
#      peak RSS, phones/GB) for each;
#   2. a boot storm: COUNT phones powered on at once with
#      Resync_Random_Delay STORM_RRD (x 20 s: 3 is a 60 s window),
#      against prov serve answering each phone its own rendered, gzipped
#      profile ('/$MA.xml template=T gzip', COUNT devices imported into its
#      SQLite inventory), then against nginx serving one gzipped file to
#      all: provisioned, long retries (goal 0), time to the last phone, and
#      the server's peak RSS (VmHWM).
#
# usage: bench/fleet.sh [-n COUNT] [-s SECTIONS] [-r STORM_RRD]
#   COUNT     phones (default 100000)
#   SECTIONS  comma-separated: throughput,storm (default both)
#   STORM_RRD Resync_Random_Delay of the storm (default 3: 60 s)
# Environment: BUILD (default build/release), KEEP=1 (keep the temporary
# directory, with the servers' logs and the fleets' JSON/SVG reports).
# Needs a Release build (cmake --preset release && cmake --build
# build/release --target prov-cli), nginx, curl, python3.
set -euo pipefail

count=100000 sections=throughput,storm rrd=3
while getopts n:s:r: o; do
	case $o in
	n) count=$OPTARG ;;
	s) sections=$OPTARG ;;
	r) rrd=$OPTARG ;;
	*) sed -n '2,27p' "$0" >&2; exit 2 ;;
	esac
done
BUILD=${BUILD:-build/release}
prov=$(realpath "$BUILD/cli/prov")
for c in nginx curl python3; do
	command -v "$c" >/dev/null || { echo "fleet.sh: $c is missing" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/prov-fleet.XXXXXX")
chmod 755 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ "${KEEP:-}" = 1 ] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_http() { # PORT PID
	for _ in $(seq 200); do
		curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
peak_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# The 4 KB profile of tests/cli/fleet.t, and its gzip.
mkdir -p "$tmp/root"
{ echo '<flat-profile>'; for i in $(seq 1 64); do
	printf '<Speed_Dial_%d>sip:%04d@voice.example.com;user=phone</Speed_Dial_%d>\n' \
		$(( (i - 1) % 8 + 2 )) "$i" $(( (i - 1) % 8 + 2 )); done
  echo '</flat-profile>'; } >"$tmp/root/p.xml"
"$prov" pack --gzip -o "$tmp/root/p.xml.gz" "$tmp/root/p.xml"

start_nginx() { # sets nginx_port nginx_pid
	nginx_port=$(free_port)
	mkdir -p "$tmp/nginx"
	cat >"$tmp/nginx/nginx.conf" <<-EOF
	worker_processes 1;
	pid $tmp/nginx/nginx.pid;
	error_log $tmp/nginx/error.log warn;
	events { worker_connections 16384; }
	http {
		access_log off;
		sendfile on;
		client_body_temp_path $tmp/nginx/body;
		proxy_temp_path $tmp/nginx/proxy;
		fastcgi_temp_path $tmp/nginx/fastcgi;
		uwsgi_temp_path $tmp/nginx/uwsgi;
		scgi_temp_path $tmp/nginx/scgi;
		default_type application/octet-stream;
		server { listen 127.0.0.1:$nginx_port; root $tmp/root; }
	}
	EOF
	nginx -e "$tmp/nginx/error.log" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" \
		-g 'daemon off;' 2>"$tmp/nginx/stderr.log" &
	nginx_pid=$!
	pids+=("$nginx_pid")
	wait_http "$nginx_port" "$nginx_pid" || { cat "$tmp/nginx/error.log" >&2; exit 1; }
}

start_prov() { # ARGS...: sets prov_port prov_pid
	prov_port=$(free_port)
	"$prov" serve --root "$tmp/root" --db "sqlite:$tmp/serve.db" --http "127.0.0.1:$prov_port" \
		--log-level notice "$@" 2>"$tmp/serve-$prov_port.log" &
	prov_pid=$!
	pids+=("$prov_pid")
	wait_http "$prov_port" "$prov_pid" || { cat "$tmp/serve-$prov_port.log" >&2; exit 1; }
}

stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

fleet() { # NAME ARGS...: the summary, less the timeline
	local name=$1
	shift
	echo "### $name"
	echo '    $ prov fleet' "$@"
	"$prov" fleet "$@" --report "$tmp/$name.json" | sed -n '/^resyncs\/s over time/q; s/^/    /p'
}

echo "prov fleet benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, COUNT $count"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ ,$sections, == *,throughput,* ]]; then
	start_prov
	fleet prov-serve --count "$count" --rule "http://127.0.0.1:$prov_port/p.xml"
	echo "    server peak RSS: $(( $(peak_kb "$prov_pid") / 1024 )) MB"
	stop "$prov_pid"
	start_nginx
	fleet nginx --count "$count" --rule "http://127.0.0.1:$nginx_port/p.xml"
	stop "$nginx_pid"
fi

if [[ ,$sections, == *,storm,* ]]; then
	db=sqlite:$tmp/serve.db
	{ echo mac,product,group,serial
	  python3 -c "
for i in range($count):
    print('%012x,CP-8841-3PCC,,' % (0x020000000000 + i))"; } >"$tmp/devs.csv"
	"$prov" device import "$tmp/devs.csv" --db "$db"
	"$prov" template set CP-8841-3PCC "$tmp/root/p.xml" --db "$db"
	start_prov --route '/$MA.xml template=CP-8841-3PCC gzip'
	fleet storm-prov-serve --count "$count" --boot-storm --concurrency 4096 \
		--set "Resync_Random_Delay=$rrd" --rule "http://127.0.0.1:$prov_port/\$MA.xml"
	echo "    server peak RSS: $(( $(peak_kb "$prov_pid") / 1024 )) MB"
	stop "$prov_pid"
	start_nginx
	fleet storm-nginx --count "$count" --boot-storm --concurrency 4096 \
		--set "Resync_Random_Delay=$rrd" --rule "http://127.0.0.1:$nginx_port/p.xml.gz"
	echo "    server peak RSS: $(( $(peak_kb "$(pgrep -P "$nginx_pid" | head -1)") / 1024 )) MB (nginx's worker)"
	stop "$nginx_pid"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
