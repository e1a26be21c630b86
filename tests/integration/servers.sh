# servers.sh: real, independent servers for the integration tests, bound to
# 127.0.0.1 only, on ephemeral ports, living in one temporary directory, and
# all stopped (process group and all) when the sourcing shell exits.
#
# Source it from bash, then:
#
#   prov_servers_init           makes $PROV_TMP and arms the EXIT trap
#   prov_free_port              prints a port free for both TCP and UDP
#   prov_nginx ROOT [--https CERT KEY [--client-ca CA]] [--basic USER PASS]
#                               nginx serving ROOT; prints its port
#   prov_tftpd ROOT             in.tftpd serving ROOT (chrooted: root only);
#                               prints its port
#   prov_pyserver MODE [ARG..]  a python3 server; prints its port. MODE:
#                                 silent     accepts, reads, never answers
#                                 slow       sends headers, then a byte a
#                                            second
#                                 truncated  announces 1000 bytes, sends 10,
#                                            closes
#                                 digest USER PASS
#                                            HTTP Digest (MD5, qop=auth)
#                                            in front of "digest ok\n"
#                                 tftplossy  a TFTP server (UDP) that drops
#                                            each client's first request,
#                                            then sends "lossy ok\n"
#   prov_test_ca DIR            a test PKI in DIR (files listed at the
#                               function)
#   prov_fixture                the usual set of all of the above, printed
#                               as KEY=VALUE lines (see the function)
#   prov_servers_stop           stops everything (the EXIT trap calls it)
#   prov_serve ROOT [ARG..]     `prov serve` on 127.0.0.1: TFTP, HTTP and syslog
#                               on ephemeral ports (plus whatever ARGs add),
#                               inventory and history in $(prov_db serve);
#                               waits until ready, then sets PROV_SERVE_PID,
#                               _LOG, _TFTP, _HTTP, _HTTPS (when --https is
#                               given) and _SYSLOG. Call it directly, not in
#                               $(...).
#                               ROOT - gives no --root (a --config has it).
#   prov_db NAME                prints the URL of the test's database NAME
#                               ([A-Za-z0-9_]+): sqlite:$PROV_TMP/NAME.db, or
#                               with PROV_TEST_PG set a database of its own
#                               on PostgreSQL (below). The same NAME after
#                               the same prov_servers_init is the same
#                               database.
#   prov_db_sql NAME SQL        runs SQL (one statement) on database NAME
#                               (SQLite through python3, PostgreSQL through
#                               psql); prints the rows, columns joined by
#                               "|", NULL as ""
#   prov_db_is_pg               true when the tests run on PostgreSQL
#
# PostgreSQL (`ctest -L pg`, tests/integration/pg.sh): PROV_TEST_PG is
# either the STATE file `pg.sh start` wrote (CTest's fixture pg/start sets
# it to the build tree's pg-state) or a base URL such as
# postgresql://USER@HOST:PORT of a server where USER may create databases.
# prov_db creates a fresh database there named after $PROV_TMP and NAME
# (CREATE DATABASE is the arbiter: a clash is retried under another name,
# so tests running in parallel never share one); prov_servers_stop drops
# the test's databases (PROV_KEEP_TMP=1 keeps them).
#
# Every server runs in the foreground of its own process group (setsid, no
# daemon mode); its pid goes to $PROV_TMP/pids. Logs:
#   nginx    $PROV_TMP/nginx-PORT/{access,error}.log; the access log line is
#            ADDR "REQUEST" STATUS BYTES "USER-AGENT" "CLIENT-CERT-DN" "BODY"
#            nginx writes that line after the response has gone out, so a
#            client can finish first: `prov_nginx_mark PORT` before the
#            request and `prov_nginx_since PORT [N]` after it wait for the
#            N (default 1) new lines and print them.
#            `prov_nginx_sync PORT` (plain HTTP servers) makes one request of
#            its own (GET /prov-sync-...) and waits for its line: nginx
#            has one worker, so every earlier request's line is there too.
#            Count lines with `grep -v 'GET /prov-sync-'` after it.
#   tftpd    $PROV_TMP/tftpd-PORT.log (in.tftpd logs through syslog(3);
#            only its stderr lands here)
#   python3  $PROV_TMP/py-MODE-PORT.log
# Start servers as `prov_nginx ... >FILE` rather than inside $(...) when you
# can: they then stay children of this shell, which reaps them.
# PROV_KEEP_TMP=1 keeps the directory for a post-mortem.

prov_servers_init() {
	PROV_TMP=$(mktemp -d "${TMPDIR:-/tmp}/prov-it.XXXXXX") || return 1
	export PROV_TMP
	: >"$PROV_TMP/pids"
	_prov_helper >"$PROV_TMP/helper.py"
	trap prov_servers_stop EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

prov_servers_stop() {
	local pid i st
	[ -n "${PROV_TMP:-}" ] && [ -d "$PROV_TMP" ] || return 0
	while read -r pid; do
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	done <"$PROV_TMP/pids"
	while read -r pid; do
		for i in $(seq 40); do
			st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || break
			[ "$st" = Z ] && break
			sleep 0.05
		done
		kill -KILL -- "-$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done <"$PROV_TMP/pids"
	if [ "${PROV_KEEP_TMP:-0}" = 1 ]; then
		echo "servers.sh: kept $PROV_TMP" >&2
	else
		_prov_pg_drop_all
		rm -rf "$PROV_TMP"
	fi
	PROV_TMP=
}

prov_db_is_pg() {
	[ -n "${PROV_TEST_PG:-}" ]
}

# The base URL (no database) and the psql of PROV_TEST_PG, as
# "URL PSQL".
_prov_pg_base() {
	local PROV_PG_URL="" PROV_PG_BIN="" d psql=""
	case $PROV_TEST_PG in
	postgres://*|postgresql://*)
		PROV_PG_URL=${PROV_TEST_PG%/}
		psql=$(command -v psql 2>/dev/null)
		for d in /usr/lib/postgresql/*/bin; do
			[ -x "$d/psql" ] && psql=$d/psql
		done
		;;
	*)
		if [ ! -r "$PROV_TEST_PG" ]; then
			echo "prov_db: PROV_TEST_PG=$PROV_TEST_PG: no such state file (is the fixture pg/start running? tests/integration/pg.sh)" >&2
			return 1
		fi
		# shellcheck disable=SC1090
		. "$PROV_TEST_PG" || return 1
		psql=$PROV_PG_BIN/psql
		;;
	esac
	if [ -z "$PROV_PG_URL" ] || [ ! -x "$psql" ]; then
		echo "prov_db: PROV_TEST_PG=$PROV_TEST_PG: no base URL or no psql" >&2
		return 1
	fi
	echo "$PROV_PG_URL $psql"
}

# psql on URL, quiet, stopping at the first error; "$@" follows.
_prov_psql() {
	local psql=$1 url=$2
	shift 2
	"$psql" -X -q -v ON_ERROR_STOP=1 -d "$url" "$@"
}

# On the suite's own server, no libpq environment variable (PGHOST,
# PGDATABASE, PGSERVICE...) of the caller's reaches psql or prov.
case ${PROV_TEST_PG:-} in
''|postgres://*|postgresql://*) ;;
*) for _prov_v in $(compgen -e | grep '^PG'); do unset "$_prov_v"; done ;;
esac

prov_db() {
	local name=${1:-} rec base psql db try err
	case $name in
	''|*[!A-Za-z0-9_]*)
		echo "prov_db: bad database name '$name' (letters, digits, _)" >&2
		return 2 ;;
	esac
	if [ -z "${PROV_TMP:-}" ]; then
		echo "prov_db: no \$PROV_TMP (prov_servers_init first)" >&2
		return 1
	fi
	if ! prov_db_is_pg; then
		echo "sqlite:$PROV_TMP/$name.db"
		return 0
	fi
	rec=$PROV_TMP/pgdb-$name
	if [ -s "$rec" ]; then
		cat "$rec"
		return 0
	fi
	read -r base psql < <(_prov_pg_base) && [ -n "$psql" ] || return 1
	# prov_it_<the directory's random part>_NAME, lower case (an unquoted
	# identifier), at most 63 bytes (PostgreSQL's NAMEDATALEN - 1).
	db=${PROV_TMP##*.}
	db=prov_it_${db,,}_${name,,}
	db=${db:0:50}
	err=$PROV_TMP/pgdb-$name.err
	for try in 1 2 3 4 5 6 7 8; do
		[ "$try" = 1 ] || db=${db:0:50}_$RANDOM$try
		if _prov_psql "$psql" "$base/postgres" -c "CREATE DATABASE $db" 2>"$err"; then
			echo "$db" >>"$PROV_TMP/pgdbs"
			echo "$base/$db" >"$rec"
			rm -f "$err"
			cat "$rec"
			return 0
		fi
		grep -q 'already exists' "$err" || break
	done
	echo "prov_db: cannot create database $db on $base:" >&2
	cat "$err" >&2
	return 1
}

prov_db_sql() {
	local name=$1 sql=$2 url base psql
	url=$(prov_db "$name") || return 1
	if ! prov_db_is_pg; then
		python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for r in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in r))
db.commit()' "${url#sqlite:}" "$sql"
		return
	fi
	read -r base psql < <(_prov_pg_base) && [ -n "$psql" ] || return 1
	_prov_psql "$psql" "$url" -A -t -c "$sql"
}

# Drops the databases prov_db created in $PROV_TMP (their servers are
# stopped by now; FORCE ends any connection left over).
_prov_pg_drop_all() {
	local base psql db
	[ -s "$PROV_TMP/pgdbs" ] || return 0
	read -r base psql < <(_prov_pg_base 2>/dev/null) && [ -n "$psql" ] || return 0
	while read -r db; do
		_prov_psql "$psql" "$base/postgres" \
			-c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	done <"$PROV_TMP/pgdbs"
}

prov_serve() {
	local root=$1 i db
	shift
	[ "$root" = - ] || set -- --root "$root" "$@"
	PROV_SERVE_LOG="$PROV_TMP/serve-$RANDOM.log"
	db=$(prov_db serve) || return 1
	_prov_spawn "$PROV_SERVE_LOG" prov serve --db "$db" \
		--user root --tftp 127.0.0.1:0 --http 127.0.0.1:0 --syslog 127.0.0.1:0 \
		--log-level notice "$@"
	PROV_SERVE_PID=$_PROV_PID
	for i in $(seq 600); do
		grep -q ' ready: ' "$PROV_SERVE_LOG" 2>/dev/null && break
		_prov_alive "$PROV_SERVE_PID" || break
		sleep 0.05
	done
	if ! grep -q ' ready: ' "$PROV_SERVE_LOG"; then
		echo "prov serve did not start:" >&2
		cat "$PROV_SERVE_LOG" >&2
		return 1
	fi
	PROV_SERVE_TFTP=$(sed -n 's/.*listening: tftp [^ ]*:\([0-9]*\)$/\1/p' "$PROV_SERVE_LOG" | head -1)
	PROV_SERVE_HTTP=$(sed -n 's/.*listening: http [^ ]*:\([0-9]*\)$/\1/p' "$PROV_SERVE_LOG" | head -1)
	PROV_SERVE_HTTPS=$(sed -n 's/.*listening: https [^ ]*:\([0-9]*\)$/\1/p' "$PROV_SERVE_LOG" | head -1)
	PROV_SERVE_SYSLOG=$(sed -n 's/.*listening: syslog [^ ]*:\([0-9]*\)$/\1/p' "$PROV_SERVE_LOG" | head -1)
	export PROV_SERVE_PID PROV_SERVE_LOG PROV_SERVE_TFTP PROV_SERVE_HTTP PROV_SERVE_HTTPS PROV_SERVE_SYSLOG
}

prov_free_port() {
	python3 "$PROV_TMP/helper.py" freeport
}

# Starts "$@" as its own process group with its output in LOG; prints the
# pid.
_prov_spawn() {
	local log=$1
	shift
	setsid "$@" </dev/null >"$log" 2>&1 &
	echo $! >>"$PROV_TMP/pids"
	_PROV_PID=$!
}

_prov_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# Waits until 127.0.0.1:PORT accepts TCP connections, or PID dies.
_prov_wait_tcp() {
	local port=$1 pid=$2 i
	for i in $(seq 400); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		_prov_alive "$pid" || return 1
		sleep 0.05
	done
	return 1
}

prov_nginx() {
	local root=$1 cert="" key="" ca="" user="" pass="" port dir try
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--https) cert=$2 key=$3; shift 3 ;;
		--client-ca) ca=$2; shift 2 ;;
		--basic) user=$2 pass=$3; shift 3 ;;
		*) echo "prov_nginx: unknown option $1" >&2; return 2 ;;
		esac
	done
	root=$(cd "$root" && pwd) || return 1
	for try in 1 2 3 4 5; do
		port=$(prov_free_port) || return 1
		dir=$PROV_TMP/nginx-$port
		mkdir -p "$dir"
		if [ -n "$user" ]; then
			printf '%s:%s\n' "$user" "$(openssl passwd -apr1 "$pass")" >"$dir/htpasswd"
		fi
		_prov_nginx_conf "$root" "$port" "$dir" "$cert" "$key" "$ca" "$user" >"$dir/nginx.conf"
		_prov_spawn "$dir/stderr.log" nginx -e "$dir/error.log" -p "$dir" \
			-c "$dir/nginx.conf" -g 'daemon off;'
		if _prov_wait_tcp "$port" "$_PROV_PID"; then
			echo "$port"
			return 0
		fi
		kill -KILL "$_PROV_PID" 2>/dev/null || true
		echo "prov_nginx: try $try on port $port failed:" >&2
		cat "$dir/error.log" "$dir/stderr.log" >&2 2>/dev/null
	done
	return 1
}

# sipp ARGS... with its SIP, media and control sockets on free loopback
# ports (no -i/-p/-mi/-mp/-ci/-cp in ARGS). A free port can be taken by
# another test between prov_free_port and sipp's bind (sipp exits 254,
# "fatal error binding a socket", before it sends anything): then it runs
# again on new ports, at most 5 times. Returns sipp's exit status.
prov_sipp() {
	local try rc=254
	for try in 1 2 3 4 5; do
		sipp "$@" -i 127.0.0.1 -p "$(prov_free_port)" -mi 127.0.0.1 \
			-mp "$(prov_free_port)" -ci 127.0.0.1 -cp "$(prov_free_port)"
		rc=$?
		[ "$rc" -eq 254 ] || return "$rc"
	done
	return "$rc"
}

prov_nginx_mark() {
	wc -l <"$PROV_TMP/nginx-$1/access.log" >"$PROV_TMP/nginx-$1/mark"
}

prov_nginx_sync() {
	local log=$PROV_TMP/nginx-$1/access.log tag i
	tag=/prov-sync-$$-$RANDOM$RANDOM
	curl -s -o /dev/null "http://127.0.0.1:$1$tag" || return 1
	for i in $(seq 250); do
		grep -q "GET $tag " "$log" && return 0
		sleep 0.02
	done
	echo "prov_nginx_sync: no log line for $tag" >&2
	return 1
}

prov_nginx_since() {
	local log=$PROV_TMP/nginx-$1/access.log want=${2:-1} mark i
	mark=$(cat "$PROV_TMP/nginx-$1/mark" 2>/dev/null || echo 0)
	for i in $(seq 250); do
		[ $(($(wc -l <"$log") - mark)) -ge "$want" ] && break
		sleep 0.02
	done
	tail -n "+$((mark + 1))" "$log"
}

# nginx.conf for one server. Besides ROOT's files it answers:
#   /status/CODE            CODE in 400 403 500 503
#   /redirect?to=URL        302 to URL (also /redirect301, /redirect307,
#                           /redirect308)
#   /loop                   302 to itself
#   /post                   (http only) reads the body, which the access
#                           log shows, and answers "posted\n"
#   /private/               Basic auth, when --basic was given
_prov_nginx_conf() {
	local root=$1 port=$2 dir=$3 cert=$4 key=$5 ca=$6 user=$7 code
	cat <<EOF
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections 1024; }
http {
	log_format prov '\$remote_addr "\$request" \$status \$body_bytes_sent '
			'"\$http_user_agent" "\$ssl_client_s_dn" "\$request_body"';
	access_log $dir/access.log prov;
	client_body_temp_path $dir/body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	types { text/plain txt; text/xml xml cfg; application/octet-stream bin; }
	default_type application/octet-stream;
	server_tokens off;
	server {
EOF
	if [ -n "$cert" ]; then
		cat <<EOF
		listen 127.0.0.1:$port ssl;
		ssl_certificate $cert;
		ssl_certificate_key $key;
		ssl_protocols TLSv1.2 TLSv1.3;
EOF
		if [ -n "$ca" ]; then
			cat <<EOF
		ssl_client_certificate $ca;
		ssl_verify_client on;
EOF
		fi
	else
		cat <<EOF
		listen 127.0.0.1:$port;
		location = /post {
			client_body_buffer_size 64k;
			client_body_in_single_buffer on;
			proxy_pass http://127.0.0.1:$port/postsink;
		}
		location = /postsink { return 200 "posted\n"; }
EOF
	fi
	for code in 400 403 500 503; do
		echo "		location = /status/$code { return $code; }"
	done
	cat <<EOF
		server_name localhost;
		root $root;
		absolute_redirect off;
		location / { }
		location = /redirect { return 302 \$arg_to; }
		location = /redirect301 { return 301 \$arg_to; }
		location = /redirect307 { return 307 \$arg_to; }
		location = /redirect308 { return 308 \$arg_to; }
		location = /loop { return 302 /loop; }
EOF
	if [ -n "$user" ]; then
		cat <<EOF
		location /private/ {
			auth_basic "prov";
			auth_basic_user_file $dir/htpasswd;
		}
EOF
	fi
	cat <<EOF
	}
}
EOF
}

prov_tftpd() {
	local root=$1 port try log
	root=$(cd "$root" && pwd) || return 1
	if [ "$(id -u)" != 0 ]; then
		echo "prov_tftpd: in.tftpd -s chroots, which needs root" >&2
		return 1
	fi
	# in.tftpd drops to "nobody" after the chroot: ROOT and its files
	# must be world-readable (files that are not stay refused).
	chmod o+rx "$root"
	for try in 1 2 3 4 5; do
		port=$(prov_free_port) || return 1
		log=$PROV_TMP/tftpd-$port.log
		_prov_spawn "$log" in.tftpd -L -v -a "127.0.0.1:$port" -s "$root"
		if python3 "$PROV_TMP/helper.py" waittftp "$port" 3 &&
		   _prov_alive "$_PROV_PID"; then
			echo "$port"
			return 0
		fi
		kill -KILL -- "-$_PROV_PID" 2>/dev/null || true
		echo "prov_tftpd: try $try on port $port failed:" >&2
		cat "$log" >&2
	done
	return 1
}

prov_pyserver() {
	local mode=$1 pf port i
	shift
	pf=$PROV_TMP/py-$mode-$$-$RANDOM.port
	_prov_spawn "$pf.log" python3 "$PROV_TMP/helper.py" serve "$mode" "$pf" "$@"
	for i in $(seq 400); do
		if [ -s "$pf" ]; then
			port=$(cat "$pf")
			mv "$pf.log" "$PROV_TMP/py-$mode-$port.log" 2>/dev/null || true
			echo "$port"
			return 0
		fi
		_prov_alive "$_PROV_PID" || break
		sleep 0.05
	done
	echo "prov_pyserver: $mode did not start:" >&2
	cat "$pf.log" >&2
	return 1
}

# The test PKI, all EC P-256, valid 30 days unless said:
#   ca.pem ca.key                the test CA
#   server.pem server.key        localhost, 127.0.0.1 (DNS and IP SANs)
#   wrongname.pem wrongname.key  wrong.example only
#   expired.pem expired.key      the right names, valid in January 2020
#   ca2.pem ca2.key              a second, unrelated CA
#   server2.pem server2.key      the right names, from ca2
#   client.pem client.key        a phone's MIC (device.md D-NET-3):
#                                OU=CP-8841-3PCC, L=<serial>, ST=<MAC>
#   client2.pem client2.key      the same subject, from ca2
prov_test_ca() {
	local d=$1
	mkdir -p "$d/newcerts" || return 1
	d=$(cd "$d" && pwd)
	: >"$d/index.txt"
	echo 1000 >"$d/serial"
	cat >"$d/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[wrongname]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
[client]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[ca]
default_ca = ca_default
[ca_default]
dir = $d
database = $d/index.txt
new_certs_dir = $d/newcerts
serial = $d/serial
default_md = sha256
policy = policy_any
unique_subject = no
[policy_any]
commonName = supplied
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
EOF
	local cnf=$d/openssl.cnf
	local mic="/C=US/ST=001122334455/L=FCH1234ABCD/O=Cisco Systems, Inc./OU=CP-8841-3PCC/CN=CP-8841-3PCC SEP001122334455"
	_prov_ca() { # NAME CN
		openssl req -config "$cnf" -x509 -new -newkey ec \
			-pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/$1.key" -out "$d/$1.pem" -days 30 \
			-subj "/CN=$2" -extensions v3_ca 2>/dev/null
	}
	_prov_leaf() { # NAME SUBJECT CA EXTENSIONS
		openssl req -config "$cnf" -new -newkey ec \
			-pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/$1.key" -out "$d/$1.csr" -subj "$2" 2>/dev/null &&
		openssl x509 -req -in "$d/$1.csr" -CA "$d/$3.pem" -CAkey "$d/$3.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 \
			-extfile "$cnf" -extensions "$4" -out "$d/$1.pem" 2>/dev/null
	}
	_prov_ca ca "prov test CA" &&
	_prov_ca ca2 "prov other CA" &&
	_prov_leaf server /CN=localhost ca server &&
	_prov_leaf wrongname /CN=wrong.example ca wrongname &&
	_prov_leaf server2 /CN=localhost ca2 server &&
	_prov_leaf client "$mic" ca client &&
	_prov_leaf client2 "$mic" ca2 client &&
	openssl req -config "$cnf" -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$d/expired.key" -out "$d/expired.csr" -subj /CN=localhost \
		2>/dev/null &&
	openssl ca -config "$cnf" -batch -notext -cert "$d/ca.pem" -keyfile "$d/ca.key" \
		-startdate 20200101000000Z -enddate 20200131000000Z \
		-extfile "$cnf" -extensions server \
		-in "$d/expired.csr" -out "$d/expired.pem" 2>/dev/null || {
		echo "prov_test_ca: openssl failed" >&2
		return 1
	}
}

# Files and servers most tests want. In $PROV_TMP: www/ (small.txt,
# big.bin of 200 KiB random bytes, private/secret.txt), tftp/ (small.txt,
# big.bin, and noaccess.txt which in.tftpd refuses), pki/ (prov_test_ca).
# Prints TMP=$PROV_TMP, then KEY=PORT for:
#   HTTP       nginx, www/, Basic auth prov:s3cret on /private/
#   HTTPS      nginx over TLS, server.pem
#   WRONGNAME  ... wrongname.pem          EXPIRED  ... expired.pem
#   OTHERCA    ... server2.pem (from ca2)
#   CLIENT     ... server.pem, client certificate from ca.pem required
#   TFTP       in.tftpd, tftp/ (missing when not root)
#   SILENT SLOW TRUNC   prov_pyserver silent, slow, truncated
#   DIGEST     prov_pyserver digest phone s3cret
#   LOSSY      prov_pyserver tftplossy
#   CLOSED     a port nothing listens on
prov_fixture() {
	local d=$PROV_TMP p=$PROV_TMP/pki
	mkdir -p "$d/www/private" "$d/tftp" || return 1
	printf 'hello from prov\n' >"$d/www/small.txt"
	head -c 204800 /dev/urandom >"$d/www/big.bin"
	printf 'the secret\n' >"$d/www/private/secret.txt"
	cp "$d/www/small.txt" "$d/www/big.bin" "$d/tftp/"
	chmod 644 "$d/tftp/small.txt" "$d/tftp/big.bin"
	printf 'nobody may read this\n' >"$d/tftp/noaccess.txt"
	chmod 600 "$d/tftp/noaccess.txt"
	prov_test_ca "$p" || return 1
	echo "TMP=$d"
	_prov_fx HTTP prov_nginx "$d/www" --basic prov s3cret &&
	_prov_fx HTTPS prov_nginx "$d/www" --https "$p/server.pem" "$p/server.key" &&
	_prov_fx WRONGNAME prov_nginx "$d/www" --https "$p/wrongname.pem" "$p/wrongname.key" &&
	_prov_fx EXPIRED prov_nginx "$d/www" --https "$p/expired.pem" "$p/expired.key" &&
	_prov_fx OTHERCA prov_nginx "$d/www" --https "$p/server2.pem" "$p/server2.key" &&
	_prov_fx CLIENT prov_nginx "$d/www" --https "$p/server.pem" "$p/server.key" \
		--client-ca "$p/ca.pem" &&
	_prov_fx SILENT prov_pyserver silent &&
	_prov_fx SLOW prov_pyserver slow &&
	_prov_fx TRUNC prov_pyserver truncated &&
	_prov_fx DIGEST prov_pyserver digest phone s3cret &&
	_prov_fx LOSSY prov_pyserver tftplossy || return 1
	_prov_fx TFTP prov_tftpd "$d/tftp" || echo "prov_fixture: no TFTP server" >&2
	echo "CLOSED=$(prov_free_port)"
}

# Runs a starter (not in a subshell, so that the server stays our child)
# and prints KEY=its port.
_prov_fx() {
	local key=$1
	shift
	"$@" >"$PROV_TMP/fx.port" || return 1
	echo "$key=$(cat "$PROV_TMP/fx.port")"
}

# The python3 side: free ports, the TFTP probe and the odd servers.
_prov_helper() {
	cat <<'EOF'
import hashlib, os, re, socket, socketserver, sys, time
from http.server import BaseHTTPRequestHandler

def freeport():
    for _ in range(100):
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            t.close()
            u.close()
        print(port)
        return 0
    return 1

def waittftp(port, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.1)
    end = time.time() + secs
    while time.time() < end:
        s.sendto(b"\x00\x01prov-probe-none\x00octet\x00", ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(1024)
            if data[:2] == b"\x00\x05":
                return 0
        except OSError:
            time.sleep(0.05)
    return 1

def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data

class Silent(socketserver.BaseRequestHandler):
    def handle(self):
        while self.request.recv(4096):
            pass

class Slow(socketserver.BaseRequestHandler):
    def handle(self):
        read_head(self.request)
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(600):
            time.sleep(1)
            self.request.sendall(b"x")

class Truncated(socketserver.BaseRequestHandler):
    def handle(self):
        read_head(self.request)
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n"
                             b"Connection: close\r\n\r\n" + b"x" * 10)

def md5(s):
    return hashlib.md5(s.encode()).hexdigest()

class Digest(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    realm, nonce = "prov", os.urandom(16).hex()

    def ok(self, auth):
        p = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
             for m in re.finditer(r'(\w+)=(?:"([^"]*)"|([^\s,]*))', auth)}
        ha1 = md5("%s:%s:%s" % (self.server.user, self.realm, self.server.pwd))
        ha2 = md5("%s:%s" % (self.command, p.get("uri", "")))
        if p.get("qop"):
            want = md5(":".join([ha1, self.nonce, p.get("nc", ""), p.get("cnonce", ""),
                                 p["qop"], ha2]))
        else:
            want = md5("%s:%s:%s" % (ha1, self.nonce, ha2))
        return (p.get("username") == self.server.user and p.get("nonce") == self.nonce
                and p.get("response") == want)

    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Digest ") and self.ok(auth[7:]):
            body = b"digest ok\n"
            self.send_response(200)
        else:
            body = b"who are you?\n"
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Digest realm="%s", qop="auth", '
                             'nonce="%s", algorithm=MD5' % (self.realm, self.nonce))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

def tftplossy(portfile):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    seen = set()
    while True:
        data, peer = s.recvfrom(2048)
        if data[:2] != b"\x00\x01":
            continue
        if peer not in seen:
            seen.add(peer)
            print("dropped the request from %s:%d" % peer, file=sys.stderr, flush=True)
            continue
        print("answering %s:%d" % peer, file=sys.stderr, flush=True)
        t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t.bind(("127.0.0.1", 0))
        t.settimeout(5)
        t.sendto(b"\x00\x03\x00\x01lossy ok\n", peer)
        try:
            t.recvfrom(2048)
        except OSError:
            pass
        t.close()

class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

def serve(mode, portfile, args):
    if mode == "tftplossy":
        return tftplossy(portfile)
    handler = {"silent": Silent, "slow": Slow, "truncated": Truncated,
               "digest": Digest}[mode]
    srv = Server(("127.0.0.1", 0), handler)
    if mode == "digest":
        srv.user, srv.pwd = args[0], args[1]
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "freeport":
        sys.exit(freeport())
    if cmd == "waittftp":
        sys.exit(waittftp(int(sys.argv[2]), float(sys.argv[3])))
    if cmd == "serve":
        serve(sys.argv[2], sys.argv[3], sys.argv[4:])
EOF
}

# Syslog (device.md D-LOG-1), for tests/cli/resync.t and agent.t:
#   prov_syslog OUT             a UDP collector (syslog_listen.py, beside
#                               this file) on 127.0.0.1, appending each
#                               datagram to OUT as one line; prints its port
#   prov_syslog_drain OUT PORT  prints what it has received so far, then
#                               empties OUT
_PROV_SERVERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

prov_syslog() {
	local out=$1 pf i
	pf=$PROV_TMP/syslog-$$-$RANDOM.port
	: >>"$out" || return 1
	_prov_spawn "$pf.log" python3 "$_PROV_SERVERS_DIR/syslog_listen.py" "$pf" "$out"
	for i in $(seq 400); do
		if [ -s "$pf" ]; then
			cat "$pf"
			return 0
		fi
		_prov_alive "$_PROV_PID" || break
		sleep 0.05
	done
	echo "prov_syslog: the collector did not start:" >&2
	cat "$pf.log" >&2
	return 1
}

# prov_syslog_drain FILE PORT: prints what the collector on PORT wrote to
# FILE so far, then empties FILE. Datagrams already sent (by a command that
# has returned) are all there: a marker datagram sent now queues behind
# them on the collector's socket, and this waits for the marker (at most
# 30 s; then "prov_syslog_drain: no marker" on stderr).
prov_syslog_drain() {
	local file=$1 port=$2 mark="prov-syslog-mark-$$-$RANDOM" i
	printf '%s' "$mark" >"/dev/udp/127.0.0.1/$port"
	for i in $(seq 1500); do
		grep -qxF "$mark" "$file" && break
		sleep 0.02
	done
	grep -qxF "$mark" "$file" || echo "prov_syslog_drain: no marker" >&2
	awk -v m="$mark" '$0 == m { exit } { print }' "$file"
	: >"$file"
}
