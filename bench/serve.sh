#!/bin/bash
# serve.sh: `prov serve` side by side with nginx (HTTP; HTTPS with a
# required client certificate) and with tftpd-hpa, atftpd and dnsmasq
# (TFTP), in one run, as ratios prov/peer (bench/README.md, "prov serve";
# issue 5, Benchmarks).
#
#   1. builds tftpload, tlsload and prov in a Release tree ($BUILD);
#   2. writes the root (4k.bin, 40k.bin, 1m.bin: bytes from AES-CTR with
#      a fixed key, identical in every run) and two test PKIs (ECDSA P-256
#      and RSA 2048: a CA, a server certificate for 127.0.0.1, a client
#      certificate) in a temporary directory;
#   3. for each section, starts prov and the peers on 127.0.0.1 on free
#      ports, checks that each serves the files byte for byte, runs every
#      row against each server in turn (ROUNDS rounds, alternating), and
#      stops them;
#   4. prints one Markdown table per section with the median of the
#      rounds and the ratio prov/peer (above 1: prov is better; for p99,
#      which is better lower, the ratio is peer/prov).
#
# Rows (issue 5):
#   HTTP    GET /4k.bin and /40k.bin, keep-alive and `Connection: close`,
#           wrk -t1 -c64 -dSECONDS --latency: requests/s and p99
#   HTTPS   client certificate required, ECDSA P-256 and RSA 2048, TLS
#           1.3 (what both negotiate): full handshakes/s (tlsload: a new
#           connection and handshake per GET /4k.bin, `Connection: close`)
#           and keep-alive requests/s (tlsload -k), 64 connections; every
#           body compared with the file; and the server's CPU time per
#           exchange (all its threads and processes, from /proc)
#   TFTP    4k.bin and 40k.bin without options (512-byte blocks,
#           lockstep) at concurrency 1 and 64: transfers/s; 1m.bin with
#           blksize 1428, windowsize 16 and tsize at concurrency 1: MB/s
#           (tftpload; every byte compared with the file), and each
#           server's CPU time per transfer (utime + stime of its processes
#           and threads over the measured run, from /proc)
#
# Same worker count for prov and nginx (prov serve --workers N, nginx
# worker_processes N). The TFTP peers have no such setting: tftpd-hpa
# forks a process per transfer, atftpd a thread per transfer, dnsmasq
# serves every transfer from its one process. dnsmasq's TFTP port is 69
# and cannot be changed, so it runs, with its load, in a private network
# namespace (unshare -n; same kernel, its own loopback) where port 69 is
# free; without unshare it is skipped. A peer that is not installed is
# skipped, saying so. tftpd-hpa and atftpd both install
# /usr/sbin/in.tftpd and conflict; when one is missing and apt-get can,
# its package is downloaded (not installed) and unpacked into
# $BUILD/peers (override: TFTPD_HPA=/path/to/in.tftpd, ATFTPD=...).
#
# usage: bench/serve.sh [-w WORKERS] [-d SECONDS] [-r ROUNDS] [-s SECTIONS] [-p] [-a]
#   WORKERS  prov --workers and nginx worker_processes (default 1)
#   SECONDS  measured seconds per run (default 5), after 1 s of warm-up
#            for TFTP and HTTPS (wrk has none; each row runs a 1 s wrk
#            first, not counted)
#   ROUNDS   runs per row and server, alternating; medians (default 3)
#   SECTIONS comma-separated: http,https,tftp,cli (default all four; cli:
#            `prov unpack` 40 KB against `openssl enc -d | gunzip`)
#   -a       all rows (issue 5's too); by default issue 17's rows only:
#            HTTP 4 KB keep-alive and new connection, HTTPS mTLS handshake
#            and keep-alive, TFTP 4 KB blksize 1428 c=64 and 1 MB blksize
#            1428 windowsize 16 c=8, and the CLI row
#   -p       CPU pinning: with one worker and two cores or more, the
#            servers run on CPU 1 and the load generators on CPU 0
# Environment: BUILD (default build/release), PROV (default
# $BUILD/cli/prov; PROV=none: peers only), TFTPD_HPA, KEEP=1 (keep the
# temporary directory, with the servers' logs).
# Needs cmake, a C compiler, wrk, nginx, openssl, curl, python3; root for
# tftpd-hpa's and atftpd's chroot/setuid and for unshare.
set -euo pipefail

# All of it in one function, read whole before it runs: editing the file
# during a run cannot change what runs.
main() {
cd "$(dirname "$0")/.."
top=$PWD
build=${BUILD:-build/release}
workers=1 secs=5 rounds=3 sections=http,https,tftp,cli pin=0 all=0
while getopts w:d:r:s:pa o; do
	case $o in
	w) workers=$OPTARG ;;
	d) secs=$OPTARG ;;
	r) rounds=$OPTARG ;;
	s) sections=$OPTARG ;;
	p) pin=1 ;;
	a) all=1 ;;
	*) echo "usage: bench/serve.sh [-w WORKERS] [-d SECONDS] [-r ROUNDS] [-s SECTIONS] [-p] [-a]" >&2; exit 2 ;;
	esac
done
case "$workers$secs$rounds" in *[!0-9]*) echo "serve.sh: numbers expected" >&2; exit 2 ;; esac
if [ "$workers" -lt 1 ] || [ "$secs" -lt 1 ] || [ "$rounds" -lt 1 ]; then echo "serve.sh: WORKERS, SECONDS, ROUNDS >= 1" >&2; exit 2; fi
conc=64        # wrk -c, tlsload -c, TFTP high concurrency
# The rows: by default issue 17's (HTTP 4 KB keep-alive and new
# connection; HTTPS mTLS full handshake and keep-alive; TFTP 4 KB with
# blksize 1428 at c=64 and 1 MB with blksize 1428 and windowsize 16 at
# c=8); -a adds issue 5's (40 KB; TFTP without options, c=1 and c=64;
# 1 MB at c=1).
http_rowset="4k-keepalive 4k-close" tftp_rowset="4k-b1428-c64 1m-w16-c8"
if [ "$all" = 1 ]; then
	http_rowset="4k-keepalive 4k-close 40k-keepalive 40k-close"
	tftp_rowset="4k-c1 4k-c64 40k-c1 40k-c64 1m-w16 4k-b1428-c64 1m-w16-c8"
fi
# -p, with one worker on two cores or more: every server runs on CPU 1
# and every load generator on CPU 0 (taskset), so each server gets the
# same one core and the client never competes with it. Not the default:
# on a machine others are using, a pinned server cannot move away from
# their load.
srvpin=() clipin=()
if [ "$pin" = 1 ] && [ "$workers" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
	srvpin=(taskset -c 1) clipin=(taskset -c 0)
fi
tftp_timeout=1000  # ms, tftpload retransmission timeout (loopback: none expected)
clk_tck=$(getconf CLK_TCK)  # /proc's unit of CPU time

for c in cmake wrk nginx openssl curl python3; do
	command -v "$c" >/dev/null 2>&1 || { echo "serve.sh: $c is needed" >&2; exit 1; }
done

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target tftpload tlsload >/dev/null
tftpload=$top/$build/bench/tftpload
tlsload=$top/$build/bench/tlsload
prov=${PROV:-}
if [ -z "$prov" ]; then
	if cmake --build "$build" -j2 --target prov-cli >/dev/null 2>"$build/serve-prov-build.log"; then
		prov=$top/$build/cli/prov
	else
		echo "serve.sh: prov did not build (see $build/serve-prov-build.log): peers only" >&2
		prov=none
	fi
fi
if [ "$prov" != none ] && ! "$prov" serve --help >/dev/null 2>&1; then
	echo "serve.sh: $prov has no working 'serve' yet: peers only" >&2
	prov=none
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/prov-serve-bench.XXXXXX")
chmod 755 "$tmp"   # nginx's workers (nobody) read the root below it
mkdir -m 1777 "$tmp/db"   # prov's history, written by its workers (nobody when root)
pids=()
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ "${KEEP:-0}" = 1 ]; then echo "serve.sh: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
results=$tmp/results   # SECTION ROW SERVER ROUND VALUE P99 NOTE
: >"$results"

free_port() { # a free 127.0.0.1 port of PROTO (tcp or udp)
	python3 -c 'import socket,sys
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}

# spawn LOG CMD...: CMD in its own process group, in the background; $spawned is its pid.
spawn() {
	local log=$1
	shift
	setsid "${srvpin[@]}" "$@" </dev/null >"$log" 2>&1 &
	spawned=$!
	pids+=("$spawned")
}

stop() { # PID: TERM to its group, then wait
	kill -TERM -- "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

alive() { kill -0 "$1" 2>/dev/null; }

wait_tcp() { # PORT PID
	local _
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		alive "$2" || return 1
		sleep 0.05
	done
	return 1
}

wait_tftp() { # PORT PID: until a verified transfer of 4k.bin succeeds
	local _
	for _ in $(seq 40); do
		"$tftpload" -n 1 -T 100 -R 3 127.0.0.1 "$1" "$tmp/root/4k.bin" >/dev/null 2>&1 && return 0
		alive "$2" || return 1
		sleep 0.1
	done
	return 1
}

record() { echo "$*" >>"$results"; }

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(uname -sr)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); workers $workers; $secs s per run; $rounds rounds; $conc connections/clients; pinning: ${srvpin[*]:-none} (servers), ${clipin[*]:-none} (clients)"
echo "# tree $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$top" diff --quiet HEAD 2>/dev/null || echo ' (modified)'); prov: $prov"

# The root: the same bytes in every run.
mkdir -p "$tmp/root"
gen() { # NAME BYTES (a process substitution: openssl dies of SIGPIPE)
	head -c "$2" <(openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f \
		-iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null) >"$tmp/root/$1"
	[ "$(stat -c %s "$tmp/root/$1")" = "$2" ]
}
gen 4k.bin 4096
gen 40k.bin 40960
gen 1m.bin 1048576
chmod 755 "$tmp/root"
chmod 644 "$tmp/root/"*

# pki DIR ALG: ca.pem, server.{pem,key} (SAN IP 127.0.0.1, DNS localhost),
# client.{pem,key}, all ALG (ec = P-256, rsa = 2048 bits), SHA-256.
pki() {
	local d=$1 alg=$2 kopt
	mkdir -p "$d"
	case $alg in
	ec) kopt=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
	rsa) kopt=(-newkey rsa:2048) ;;
	esac
	cat >"$d/ext.cnf" <<-EOF
	[ca]
	basicConstraints = critical, CA:TRUE
	keyUsage = critical, keyCertSign, cRLSign
	[server]
	basicConstraints = CA:FALSE
	keyUsage = critical, digitalSignature, keyEncipherment
	extendedKeyUsage = serverAuth
	subjectAltName = DNS:localhost, IP:127.0.0.1
	[client]
	basicConstraints = CA:FALSE
	keyUsage = critical, digitalSignature
	extendedKeyUsage = clientAuth
	EOF
	openssl req -x509 -new "${kopt[@]}" -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
		-days 30 -subj "/CN=prov bench CA $alg" -sha256 \
		-config /dev/null -extensions ca -extfile "$d/ext.cnf" 2>/dev/null ||
		openssl req -x509 -new "${kopt[@]}" -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
			-days 30 -subj "/CN=prov bench CA $alg" -sha256 -addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	local leaf
	for leaf in server client; do
		openssl req -new "${kopt[@]}" -nodes -keyout "$d/$leaf.key" -out "$d/$leaf.csr" \
			-subj "/CN=$([ $leaf = server ] && echo localhost || echo 'CP-8841-3PCC SEP001122334455')" 2>/dev/null
		openssl x509 -req -in "$d/$leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 \
			-extfile "$d/ext.cnf" -extensions "$leaf" -out "$d/$leaf.pem" 2>/dev/null
	done
	openssl verify -CAfile "$d/ca.pem" "$d/server.pem" "$d/client.pem" >/dev/null
}

# nginx_conf DIR PORT [CERT KEY CA]: nginx serving the root, tuned as the
# brief says: keep-alive on, access_log off, sendfile on, N workers.
nginx_conf() {
	local dir=$1 port=$2 cert=${3:-} key=${4:-} ca=${5:-}
	cat <<-EOF
	worker_processes $workers;
	pid $dir/nginx.pid;
	error_log $dir/error.log warn;
	events { worker_connections 4096; }
	http {
		access_log off;
		sendfile on;
		keepalive_timeout 65;
		keepalive_requests 1000;
		client_body_temp_path $dir/body;
		proxy_temp_path $dir/proxy;
		fastcgi_temp_path $dir/fastcgi;
		uwsgi_temp_path $dir/uwsgi;
		scgi_temp_path $dir/scgi;
		default_type application/octet-stream;
		server_tokens off;
		server {
	EOF
	if [ -n "$cert" ]; then
		cat <<-EOF
			listen 127.0.0.1:$port ssl;
			ssl_certificate $cert;
			ssl_certificate_key $key;
			ssl_protocols TLSv1.2 TLSv1.3;
			ssl_client_certificate $ca;
			ssl_verify_client on;
		EOF
	else
		echo "		listen 127.0.0.1:$port;"
	fi
	cat <<-EOF
			root $tmp/root;
			location / { }
		}
	}
	EOF
}

# start_nginx PORT [CERT KEY CA]: sets $nginx_pid.
start_nginx() {
	local port=$1 dir=$tmp/nginx-$1
	mkdir -p "$dir"
	nginx_conf "$dir" "$@" >"$dir/nginx.conf"
	spawn "$dir/stderr.log" nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
	nginx_pid=$spawned
	wait_tcp "$port" "$nginx_pid" || { cat "$dir/error.log" "$dir/stderr.log" >&2; return 1; }
}

# start_prov LOG ARGS...: prov serve with the common options; sets $prov_pid.
# All the load comes from one address, 127.0.0.1, as from phones behind
# one NAT, so the callers raise prov's per-client caps (TFTP 16 transfers,
# HTTP 256 connections, lingering ones included) to 1024; the peers have
# no such caps.
start_prov() {
	local log=$1
	shift
	spawn "$log" "$prov" serve --root "$tmp/root" --db "sqlite:$tmp/db/prov-$RANDOM.db" \
		--workers "$workers" --log-level warning "$@"
	prov_pid=$spawned
}

# check_http URL [CURL-OPTION...]: every file byte for byte (curl; wrk
# checks nothing).
check_http() {
	local url=$1 f
	shift
	for f in 4k.bin 40k.bin 1m.bin; do
		curl -sf "$@" "$url/$f" | cmp -s - "$tmp/root/$f" ||
			{ echo "serve.sh: $url/$f differs or failed" >&2; return 1; }
	done
}

# wrk_row ROW SERVER ROUND URL [HEADER]: requests/s and p99 (ms).
wrk_row() {
	local row=$1 server=$2 round=$3 url=$4 hdr=${5:-} out rps p99 errs
	local args=(-t1 "-c$conc" --latency)
	[ -n "$hdr" ] && args+=(-H "$hdr")
	"${clipin[@]}" wrk "${args[@]}" -d1s "$url" >/dev/null 2>&1 || true
	out=$("${clipin[@]}" wrk "${args[@]}" "-d${secs}s" "$url" 2>&1)
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' <<<"$out")
	errs=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",",""); n+=$4+$6+$8+$10} END {print n+0}' <<<"$out")
	record http "$row" "$server" "$round" "${rps:-0}" "${p99:-0}" "errors=$errs"
}

# kv LINE KEY: a value from tftpload's or tlsload's key=value line.
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

# cpu_ticks PID: utime + stime of PID and its children, every thread
# (prov's worker and history writer; nginx's master and worker), in clock
# ticks.
cpu_ticks() {
	local p t=0 s
	for p in "$1" $(pgrep -P "$1" 2>/dev/null); do
		for s in /proc/"$p"/task/*/stat; do
			[ -r "$s" ] || continue
			t=$((t + $(awk '{print $14 + $15}' "$s" 2>/dev/null || echo 0)))
		done
	done
	echo "$t"
}

# tls_row ROW SERVER ROUND PORT PKI PID [-k]: besides the rate and p99,
# the server's CPU time per exchange (cpu_us: its ticks over the whole
# tlsload run, warm-up included, over every exchange of that run), which
# moves far less than the rate with the machine's other load (issue 17).
tls_row() {
	local row=$1 server=$2 round=$3 port=$4 p=$5 pid=$6 out t0 t1 all
	shift 6
	t0=$(cpu_ticks "$pid")
	# No -A: the client skips verifying the server's chain (tlsload.c says why).
	out=$("${clipin[@]}" "$tlsload" "$@" -c "$conc" -d "$secs" -w 1 -C "$p/client.pem" -K "$p/client.key" \
		-f "$tmp/root/4k.bin" 127.0.0.1 "$port" /4k.bin 2>"$tmp/tls.err") || true
	t1=$(cpu_ticks "$pid")
	all=$(kv "$out" all)
	if [ -s "$tmp/tls.err" ]; then sed "s/^/  $server $row: /" "$tmp/tls.err" | head -3 >&2; fi
	record https "$row" "$server" "$round" "$(kv "$out" rate)" "$(kv "$out" p99_ms)" \
		"failed=$(kv "$out" failed) cpu=$(kv "$out" client_cpu) $(kv "$out" proto)/$(kv "$out" cipher)" \
		"cpu_us=$(awk -v a="$t0" -v b="$t1" -v n="${all:-0}" -v hz="$clk_tck" \
			'BEGIN { if (n > 0) printf "%.1f", (b - a) * 1e6 / hz / n; else print 0 }')"
}

# cpu_ticks PID: CPU time (clock ticks: utime, stime, and those of reaped
# children) of PID and every process below it: prov's master and worker
# with its threads, atftpd's threads, tftpd-hpa's process per transfer.
cpu_ticks() {
	local pids=("$1") all=() p kids sum=0 f
	while [ ${#pids[@]} -gt 0 ]; do
		p=${pids[0]}; pids=("${pids[@]:1}"); all+=("$p")
		kids=$(cat "/proc/$p/task/"*/children 2>/dev/null || true)
		for f in $kids; do pids+=("$f"); done
	done
	for p in "${all[@]}"; do
		f=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null || true)
		[ -n "$f" ] || continue
		# after "comm)": field 3 is state, so utime..cstime are 12..15
		sum=$((sum + $(awk '{print $12 + $13 + $14 + $15}' <<<"$f")))
	done
	echo "$sum"
}

# tftp_rows SERVER ROUND PORT [PID]: the TFTP rows against one server;
# with PID, also the server's CPU time per transfer (microseconds of
# utime + stime over the measured run, cpu_us= in the note), which moves
# far less with the machine's load than transfers/s do.
tftp_rows() {
	local server=$1 round=$2 port=$3 pid=${4:-} out row args file v c0 c1 cpu n tl
	for row in $tftp_rowset; do
		case $row in
		4k-c1) args=(-c 1) file=4k.bin ;;
		4k-c64) args=(-c "$conc") file=4k.bin ;;
		40k-c1) args=(-c 1) file=40k.bin ;;
		40k-c64) args=(-c "$conc") file=40k.bin ;;
		1m-w16) args=(-c 1 -b 1428 -W 16 -t) file=1m.bin ;;
		4k-b1428-c64) args=(-c "$conc" -b 1428) file=4k.bin ;;
		1m-w16-c8) args=(-c 8 -b 1428 -W 16 -t) file=1m.bin ;;
		esac
		# One tftpload run: 1 s of warm-up, then the measured seconds
		# (a separate warm-up run would leave its abandoned transfers
		# retransmitting into the measured one). The CPU is read when
		# the warm-up ends, 1 s after the start, to within the shell's
		# scheduling (a few ms of the measured seconds).
		"${clipin[@]}" "$tftpload" -d "$secs" -w 1 -T "$tftp_timeout" "${args[@]}" \
			127.0.0.1 "$port" "$tmp/root/$file" >"$tmp/tftp.out" 2>"$tmp/tftp.err" &
		tl=$!
		sleep 1
		c0=$([ -n "$pid" ] && cpu_ticks "$pid" || echo 0)
		wait "$tl" || true
		c1=$([ -n "$pid" ] && cpu_ticks "$pid" || echo 0)
		out=$(cat "$tmp/tftp.out")
		n=$(kv "$out" transfers)
		cpu=0
		if [ -n "$pid" ] && [ "${n:-0}" -gt 0 ]; then
			cpu=$(awk -v c=$((c1 - c0)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", c / hz * 1e6 / n }')
		fi
		if [ -s "$tmp/tftp.err" ]; then sed "s/^/  $server $row: /" "$tmp/tftp.err" | head -3 >&2; fi
		case $row in 1m-*) v=$(kv "$out" mbps) ;; *) v=$(kv "$out" tps) ;; esac
		record tftp "$row" "$server" "$round" "${v:-0}" "$(kv "$out" p99_ms)" \
			"failed=$(kv "$out" failed) retrans=$(kv "$out" retrans) blk=$(kv "$out" blksize)/$(kv "$out" window) cpu_us=$cpu"
	done
}

section() { case ",$sections," in *",$1,"*) return 0 ;; esac; return 1; }

# peer_pkg PACKAGE PATH: prints $BUILD/peers/PACKAGE/PATH, after
# downloading the package (apt-get download: not installed) and unpacking
# it there if needed; prints nothing when that fails. For tftpd-hpa and
# atftpd, whose packages conflict (both ship /usr/sbin/in.tftpd).
peer_pkg() {
	local d=$top/$build/peers
	if [ ! -x "$d/$1/$2" ] && command -v apt-get >/dev/null 2>&1; then
		echo "# $1: downloading its package into $build/peers (not installing it)" >&2
		mkdir -p "$d"
		(cd "$d" && { ls "$1"_*.deb >/dev/null 2>&1 || apt-get download "$1" >/dev/null 2>&1; } &&
			dpkg -x "$1"_*.deb "$1") || true
	fi
	[ -x "$d/$1/$2" ] && echo "$d/$1/$2"
	return 0
}

if section http; then
	echo "# HTTP: starting servers" >&2
	pp=$(free_port tcp)
	np=$(free_port tcp)
	servers=()
	if [ "$prov" != none ]; then
		start_prov "$tmp/prov-http.log" --http "127.0.0.1:$pp" --http-max-per-client 1024
		if wait_tcp "$pp" "$prov_pid" && check_http "http://127.0.0.1:$pp"; then
			servers+=("prov:$pp")
		else
			echo "serve.sh: prov serve --http failed:" >&2; tail -5 "$tmp/prov-http.log" >&2
		fi
	fi
	start_nginx "$np"
	check_http "http://127.0.0.1:$np"
	servers+=("nginx:$np")
	for r in $(seq "$rounds"); do
		for row in $http_rowset; do
			for s in "${servers[@]}"; do
				f=${row%%-*}.bin
				case $row in
				*-close) wrk_row "$row" "${s%%:*}" "$r" "http://127.0.0.1:${s#*:}/$f" "Connection: close" ;;
				*) wrk_row "$row" "${s%%:*}" "$r" "http://127.0.0.1:${s#*:}/$f" ;;
				esac
			done
		done
	done
	[ "$prov" != none ] && alive "$prov_pid" && stop "$prov_pid"
	stop "$nginx_pid"
fi

if section https; then
	for alg in ec rsa; do
		echo "# HTTPS $alg: starting servers" >&2
		p=$tmp/pki-$alg
		pki "$p" "$alg"
		pp=$(free_port tcp)
		np=$(free_port tcp)
		servers=()
		if [ "$prov" != none ]; then
			start_prov "$tmp/prov-https-$alg.log" --https "127.0.0.1:$pp" \
				--cert "$p/server.pem" --key "$p/server.key" \
				--client-ca "$p/ca.pem" --require-client-cert --http-max-per-client 1024
			if wait_tcp "$pp" "$prov_pid" &&
			   check_http "https://127.0.0.1:$pp" --cacert "$p/ca.pem" --cert "$p/client.pem" --key "$p/client.key"; then
				servers+=("prov:$pp:$prov_pid")
			else
				echo "serve.sh: prov serve --https failed:" >&2; tail -5 "$tmp/prov-https-$alg.log" >&2
			fi
		fi
		start_nginx "$np" "$p/server.pem" "$p/server.key" "$p/ca.pem"
		check_http "https://127.0.0.1:$np" --cacert "$p/ca.pem" --cert "$p/client.pem" --key "$p/client.key"
		# Without a client certificate both must refuse.
		for s in "${servers[@]}" "nginx:$np"; do
			s=${s%:*}
			if curl -sf --cacert "$p/ca.pem" "https://127.0.0.1:${s#*:}/4k.bin" >/dev/null 2>&1; then
				echo "serve.sh: ${s%%:*} served without a client certificate" >&2
				exit 1
			fi
		done
		servers+=("nginx:$np:$nginx_pid")
		for r in $(seq "$rounds"); do
			for s in "${servers[@]}"; do
				IFS=: read -r sn sp spid <<<"$s"
				tls_row "$alg-handshake" "$sn" "$r" "$sp" "$p" "$spid"
			done
			for s in "${servers[@]}"; do
				IFS=: read -r sn sp spid <<<"$s"
				tls_row "$alg-keepalive" "$sn" "$r" "$sp" "$p" "$spid" -k
			done
		done
		[ "$prov" != none ] && alive "$prov_pid" && stop "$prov_pid"
		stop "$nginx_pid"
	done
fi

if section tftp; then
	echo "# TFTP: starting servers" >&2
	servers=()
	tpids=()
	declare -A tpid   # server name -> pid, for cpu_ticks
	if [ "$prov" != none ]; then
		port=$(free_port udp)
		# The per-client cap (16) goes up, as in the HTTP sections (see
		# start_prov).
		start_prov "$tmp/prov-tftp.log" --tftp "127.0.0.1:$port" --tftp-max-per-client 1024
		if wait_tftp "$port" "$prov_pid"; then
			servers+=("prov:$port"); tpids+=("$prov_pid"); tpid[prov]=$prov_pid
		else
			echo "serve.sh: prov serve --tftp failed:" >&2; tail -5 "$tmp/prov-tftp.log" >&2
		fi
	fi
	# tftpd-hpa
	hpa=${TFTPD_HPA:-}
	if [ -z "$hpa" ]; then
		for c in /usr/sbin/in.tftpd "$(peer_pkg tftpd-hpa usr/sbin/in.tftpd)"; do
			if [ -x "$c" ] && "$c" -V 2>&1 | grep -q tftp-hpa; then hpa=$c; break; fi
		done
	fi
	if [ -z "$hpa" ]; then
		echo "serve.sh: tftpd-hpa not found: skipped" >&2
	else
		port=$(free_port udp)
		spawn "$tmp/tftpd-hpa.log" "$hpa" -L -a "127.0.0.1:$port" -s -u "$(id -un)" "$tmp/root"
		if wait_tftp "$port" "$spawned"; then
			servers+=("tftpd-hpa:$port"); tpids+=("$spawned"); tpid[tftpd-hpa]=$spawned
		else
			echo "serve.sh: tftpd-hpa did not serve: skipped" >&2; cat "$tmp/tftpd-hpa.log" >&2
		fi
	fi
	# atftpd
	atftpd=${ATFTPD:-$(command -v atftpd || true)}
	[ -n "$atftpd" ] || atftpd=$(peer_pkg atftpd usr/sbin/atftpd)
	if [ -x "$atftpd" ]; then
		port=$(free_port udp)
		spawn "$tmp/atftpd.log" "$atftpd" --daemon --no-fork --port "$port" --bind-address 127.0.0.1 \
			--user "$(id -un)" --group "$(id -gn)" --logfile /dev/null --maxthread 256 "$tmp/root"
		if wait_tftp "$port" "$spawned"; then
			servers+=("atftpd:$port"); tpids+=("$spawned"); tpid[atftpd]=$spawned
		else
			echo "serve.sh: atftpd did not serve: skipped" >&2; cat "$tmp/atftpd.log" >&2
		fi
	else
		echo "serve.sh: atftpd not found: skipped" >&2
	fi
	dnsmasq_ok=0
	if ! command -v dnsmasq >/dev/null 2>&1 && [ ! -x /usr/sbin/dnsmasq ]; then
		echo "serve.sh: dnsmasq not installed: skipped" >&2
	elif ! unshare -n true 2>/dev/null; then
		echo "serve.sh: dnsmasq needs port 69 in a private network namespace, and unshare -n failed: skipped" >&2
	else
		dnsmasq_ok=1
	fi
	for r in $(seq "$rounds"); do
		for s in "${servers[@]}"; do
			tftp_rows "${s%%:*}" "$r" "${s#*:}" "${tpid[${s%%:*}]}"
		done
		if [ "$dnsmasq_ok" = 1 ]; then
			# A child of this script in a new network namespace, with
			# the functions and variables it needs.
			export -f tftp_rows cpu_ticks kv record wait_tftp alive
			export tmp results tftpload secs conc tftp_timeout tftp_rowset
			# shellcheck disable=SC2016,SC2034 # for the inner bash
			DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq) R=$r \
			SRVPIN="${srvpin[*]}" CLIPIN="${clipin[*]}" \
			unshare -n bash -c '
				set -u
				read -r -a clipin <<<"$CLIPIN"
				ip link set lo up 2>/dev/null || ifconfig lo up
				$SRVPIN $DNSMASQ --no-daemon --conf-file=/dev/null --port=0 --enable-tftp \
					--tftp-root="$tmp/root" --listen-address=127.0.0.1 --bind-interfaces \
					--tftp-max=1024 --log-facility=/dev/null --pid-file= \
					--user="$(id -un)" --group="$(id -gn)" </dev/null >/dev/null 2>&1 &
				pid=$!
				if wait_tftp 69 $pid; then
					tftp_rows dnsmasq "$R" 69 $pid
				else
					echo "serve.sh: dnsmasq did not serve: skipped" >&2
				fi
				kill -TERM $pid; wait $pid 2>/dev/null
				true'
		fi
	done
	for p in "${tpids[@]}"; do stop "$p"; done
fi

# CLI start-up (issue 17 item 4): `prov unpack` of a 40 KB gzip + AES
# profile against `openssl enc -d | gunzip`, whole commands under `sh -c`,
# 100 runs each per round, alternating; recorded as runs/s (higher is
# better, like every other row). bench/startup.sh does the same with perf.
if section cli && [ "$prov" != none ]; then
	echo "# CLI: prov unpack against openssl enc -d | gunzip" >&2
	cmake --build "$build" -j2 --target bench_codec >/dev/null
	"$top/$build/bench/bench_codec" -n 10 -k prov-bench-key "$tmp" >/dev/null
	"$prov" unpack --key prov-bench-key "$tmp/codec-40k.enc" | cmp - "$tmp/codec-40k.xml"
	openssl enc -d -aes-256-cbc -md md5 -k prov-bench-key -in "$tmp/codec-40k.enc" 2>/dev/null |
		gunzip | cmp - "$tmp/codec-40k.xml"
	runs_per_s() { # COMMAND: runs/s over 100 runs of sh -c COMMAND
		local t0 t1 i
		t0=$(date +%s%N)
		for i in $(seq 100); do sh -c "$1"; done
		t1=$(date +%s%N)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", 100 / ((b - a) / 1e9) }'
	}
	for r in $(seq "$rounds"); do
		record cli unpack-40k prov "$r" \
			"$(runs_per_s "$prov unpack --key prov-bench-key $tmp/codec-40k.enc > /dev/null")" 0
		record cli unpack-40k openssl "$r" \
			"$(runs_per_s "openssl enc -d -aes-256-cbc -md md5 -k prov-bench-key -in $tmp/codec-40k.enc 2>/dev/null | gunzip > /dev/null")" 0
	done
fi

echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

# The tables: medians over the rounds, ratios prov/peer.
python3 - "$results" "$workers" <<'EOF'
import sys, statistics
from collections import defaultdict
res = defaultdict(list)   # (section,row,server) -> [(value,p99,note)]
for line in open(sys.argv[1]):
    f = line.split(None, 6)
    if len(f) < 6:
        continue
    sec, row, srv, rnd, val, p99 = f[:6]
    note = f[6].strip() if len(f) > 6 else ""
    try:
        v = float(val); p = float(p99) if p99 else 0.0
    except ValueError:
        v, p = 0.0, 0.0
    res[(sec, row, srv)].append((v, p, note))
def med(k, i):
    xs = [x[i] for x in res.get(k, [])]
    return statistics.median(xs) if xs else None
def fmt(x, d=0):
    return "-" if x is None else f"{x:,.{d}f}"
def ratio(a, b):
    return "-" if not a or not b else f"**{a / b:.2f}x**"
notes = {}
for k, v in res.items():
    bad = [n for (_, _, n) in v if ("errors=" in n and "errors=0" not in n) or ("failed=" in n and "failed=0" not in n)]
    if bad:
        notes[k] = bad[0]
names = {
 "4k-keepalive": "GET 4 KB, keep-alive", "4k-close": "GET 4 KB, `Connection: close`",
 "40k-keepalive": "GET 40 KB, keep-alive", "40k-close": "GET 40 KB, `Connection: close`",
 "ec-handshake": "ECDSA P-256: full handshakes/s", "ec-keepalive": "ECDSA P-256: keep-alive requests/s",
 "rsa-handshake": "RSA 2048: full handshakes/s", "rsa-keepalive": "RSA 2048: keep-alive requests/s",
 "4k-c1": "4 KB, 1 client: transfers/s", "4k-c64": "4 KB, 64 clients: transfers/s",
 "40k-c1": "40 KB, 1 client: transfers/s", "40k-c64": "40 KB, 64 clients: transfers/s",
 "1m-w16": "1 MB, blksize 1428, windowsize 16: MB/s",
 "4k-b1428-c64": "4 KB, blksize 1428, 64 clients: transfers/s",
 "1m-w16-c8": "1 MB, blksize 1428, windowsize 16, 8 clients: MB/s",
}
def rows(sec):
    seen = []
    for (s, r, _) in res:
        if s == sec and r not in seen:
            seen.append(r)
    return seen
def cpu(k):
    # the server's CPU time per exchange (HTTPS rows: cpu_us= in the note)
    xs = []
    for (_, _, n) in res.get(k, []):
        for w in n.split():
            if w.startswith("cpu_us="):
                try:
                    xs.append(float(w[7:]))
                except ValueError:
                    pass
    return statistics.median(xs) if xs else None
for sec, title in (("http", "HTTP (wrk -t1 -c64; requests/s, p99 ms)"),
                   ("https", "HTTPS, client certificate required (tlsload -c64)")):
    if not rows(sec):
        continue
    tls = sec == "https"
    print(f"\n### {title}, {sys.argv[2]} worker(s)\n")
    print("| row | prov | nginx | prov/nginx | prov p99 | nginx p99 | nginx p99 / prov p99 |"
          + (" prov CPU µs | nginx CPU µs | nginx CPU / prov CPU |" if tls else ""))
    print("|---|---:|---:|---:|---:|---:|---:|" + ("---:|---:|---:|" if tls else ""))
    for r in rows(sec):
        a, b = med((sec, r, "prov"), 0), med((sec, r, "nginx"), 0)
        pa, pb = med((sec, r, "prov"), 1), med((sec, r, "nginx"), 1)
        line = f"| {names.get(r, r)} | {fmt(a)} | {fmt(b)} | {ratio(a, b)} | {fmt(pa, 2)} | {fmt(pb, 2)} | {ratio(pb, pa)} |"
        if tls:
            ca, cb = cpu((sec, r, "prov")), cpu((sec, r, "nginx"))
            line += f" {fmt(ca, 1)} | {fmt(cb, 1)} | {ratio(cb, ca)} |"
        print(line)
if rows("tftp"):
    peers = ["tftpd-hpa", "atftpd", "dnsmasq"]
    print("\n### TFTP (tftpload; every byte verified)\n")
    print("| row | prov | " + " | ".join(peers) + " | prov/best peer |")
    print("|---|---:|" + "---:|" * len(peers) + "---:|")
    for r in rows("tftp"):
        d = 1 if r.startswith("1m-") else 0
        a = med(("tftp", r, "prov"), 0)
        ps = [med(("tftp", r, p), 0) for p in peers]
        best = max([x for x in ps if x is not None], default=None)
        print(f"| {names.get(r, r)} | {fmt(a, d)} | " + " | ".join(fmt(x, d) for x in ps) + f" | {ratio(a, best)} |")
    def cpu(k):
        xs = []
        for (_, _, n) in res.get(k, []):
            for w in n.split():
                if w.startswith("cpu_us="):
                    try:
                        if float(w[7:]) > 0:
                            xs.append(float(w[7:]))
                    except ValueError:
                        pass
        return statistics.median(xs) if xs else None
    print("\nServer CPU time per transfer (utime + stime of the server's processes over the measured run, microseconds; lower is better; the ratio is to the best peer of the row above):\n")
    # Against the peer the row's ratio is taken to (the best by the
    # row's value): tftpd-hpa's CPU is a lower bound only, as the
    # process it forks per transfer is counted only while it lives or
    # once its parent has reaped it.
    print("| row | prov | " + " | ".join(peers) + " | best peer / prov |")
    print("|---|---:|" + "---:|" * len(peers) + "---:|")
    for r in rows("tftp"):
        a = cpu(("tftp", r, "prov"))
        ps = [cpu(("tftp", r, p)) for p in peers]
        vs = [med(("tftp", r, p), 0) for p in peers]
        best = max([i for i in range(len(peers)) if vs[i] is not None], key=lambda i: vs[i], default=None)
        b = ps[best] if best is not None else None
        print(f"| {names.get(r, r)} | {fmt(a, 1)} | " + " | ".join(fmt(x, 1) for x in ps) + f" | {ratio(b, a)} |")
    print("\nGranted (blksize/windowsize) in the 1 MB row: " + ", ".join(
        f"{s} {r}: {v[0][2].split('blk=')[-1].split()[0]}" for (sec, r, s), v in res.items() if sec == "tftp" and r.startswith("1m-")))
if rows("cli"):
    a, b = med(("cli", "unpack-40k", "prov"), 0), med(("cli", "unpack-40k", "openssl"), 0)
    print("\n### CLI start-up (whole commands, runs/s)\n")
    print("| row | prov | openssl enc -d \\| gunzip | prov/openssl |")
    print("|---|---:|---:|---:|")
    print(f"| `prov unpack` 40 KB gzip + AES | {fmt(a, 1)} | {fmt(b, 1)} | {ratio(a, b)} |")
if notes:
    print("\nFailures or errors (first of each):")
    for k, n in notes.items():
        print(f"- {k[0]} {k[1]} {k[2]}: {n}")
print("\nAll runs (section row server round value p99_ms note):")
for line in open(sys.argv[1]):
    print("    " + line.rstrip())
EOF
}
main "$@"
exit
