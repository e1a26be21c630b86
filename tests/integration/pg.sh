#!/usr/bin/env bash
# pg.sh: a throw-away PostgreSQL server for the test suite, from Debian's
# binaries (/usr/lib/postgresql/VERSION/bin), never the system's clusters
# (pg_ctlcluster, /etc/postgresql, port 5432 are not used):
#
#   pg.sh start STATE   initdb in a new temporary directory, then postgres on
#                       127.0.0.1 with an ephemeral port, its unix socket in
#                       that directory, trust on loopback, fsync off; waits
#                       until it accepts connections and writes STATE
#   pg.sh stop STATE    stops the server STATE describes, removes its
#                       directory, then STATE
#   pg.sh kill STATE    crashes it (pg_ctl stop -m immediate: every process
#                       quits at once, no checkpoint), keeping its data
#   pg.sh restart STATE starts it again on the same data and port
#
# STATE is KEY=VALUE lines, which tests/integration/servers.sh (prov_db)
# reads when PROV_TEST_PG names it:
#   PROV_PG_URL=postgresql://prov@127.0.0.1:PORT   base URL (add /DBNAME)
#   PROV_PG_PORT=PORT  PROV_PG_DIR=DIR  PROV_PG_BIN=BINDIR  PROV_PG_AS=USER
#
# The server runs as the caller; as root (initdb refuses root) as
# PROV_PG_USER (default nobody), the directory chowned to it. Its superuser
# is "prov" whatever the OS user. A start over a STATE left by an
# interrupted run stops that server first. CTest runs these as the fixture
# pg/start and pg/stop (tests/CMakeLists.txt); PROV_KEEP_TMP=1 keeps the
# directory (its log is DIR/postgres.log). PROV_PG_BIN picks the binaries;
# PROV_PG_DURABLE=1 keeps synchronous_commit on (for kill: see pg_start).
set -uo pipefail

# The newest Debian PostgreSQL with a server, or PROV_PG_BIN.
_pg_bin() {
	local d best=""
	if [ -n "${PROV_PG_BIN:-}" ]; then
		best=$PROV_PG_BIN
	else
		for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n); do
			[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && best=$d
		done
	fi
	if [ -z "$best" ] || [ ! -x "$best/initdb" ] || [ ! -x "$best/pg_ctl" ] ||
	   [ ! -x "$best/postgres" ] || [ ! -x "$best/psql" ]; then
		echo "pg.sh: no PostgreSQL server binaries (initdb, pg_ctl, postgres," \
			"psql) in ${best:-/usr/lib/postgresql/*/bin}: install" \
			"postgresql and postgresql-client (scripts/deps.sh test)" >&2
		return 1
	fi
	echo "$best"
}

# Runs "$@" as the server's user ($as: empty = ourselves).
_pg_as() {
	if [ -n "$as" ]; then
		setpriv --reuid="$as" --regid="$(id -g "$as")" --clear-groups -- "$@"
	else
		"$@"
	fi
}

_pg_free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A libpq environment variable (PGHOST, PGPORT, PGDATABASE, PGSERVICE...)
# could point the tools at another server: none is used.
_pg_clean_env() {
	local v
	for v in $(compgen -e | grep '^PG'); do
		unset "$v"
	done
}

pg_start() {
	local state=$1 bin dir port try as="" opts
	_pg_clean_env
	[ -e "$state" ] && pg_stop "$state"
	bin=$(_pg_bin) || return 1
	if [ "$(id -u)" = 0 ]; then
		as=${PROV_PG_USER:-nobody}
		id -u "$as" >/dev/null 2>&1 || {
			echo "pg.sh: no user $as to run PostgreSQL as (initdb refuses root; set PROV_PG_USER)" >&2
			return 1
		}
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/prov-pg.XXXXXX") || return 1
	[ -z "$as" ] || chown "$as:$(id -g "$as")" "$dir"
	if ! _pg_as test -w "$dir"; then
		echo "pg.sh: $dir is not writable by ${as:-$(id -un)} (a parent directory closed to it? set TMPDIR)" >&2
		rm -rf "$dir"
		return 1
	fi
	if ! _pg_as "$bin/initdb" -D "$dir/data" -U prov -A trust -E UTF8 \
		--locale=C --no-sync >"$dir/initdb.log" 2>&1; then
		echo "pg.sh: initdb failed:" >&2
		cat "$dir/initdb.log" >&2
		rm -rf "$dir"
		return 1
	fi
	# Loopback only; no TCP at all on other addresses, the socket beside
	# the data. Durability is not what a test checks: fsync off.
	for try in 1 2 3 4 5; do
		port=$(_pg_free_port) || return 1
		opts="-c listen_addresses=127.0.0.1 -p $port"
		opts+=" -c unix_socket_directories=$dir -c fsync=off"
		# synchronous_commit=off loses the last commits a crash (pg.sh
		# kill) catches; PROV_PG_DURABLE=1 keeps them, for tests that
		# crash it and count what survived.
		[ "${PROV_PG_DURABLE:-0}" = 1 ] || opts+=" -c synchronous_commit=off"
		opts+=" -c full_page_writes=off"
		opts+=" -c max_connections=200 -c log_min_messages=warning"
		if _pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" \
			-w -t 60 -o "$opts" start >"$dir/pg_ctl.log" 2>&1 &&
		   _pg_as "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U prov -d postgres \
			-c 'SELECT 1' >/dev/null 2>>"$dir/pg_ctl.log"; then
			{
				echo "PROV_PG_URL=postgresql://prov@127.0.0.1:$port"
				echo "PROV_PG_PORT=$port"
				echo "PROV_PG_DIR=$dir"
				echo "PROV_PG_BIN=$bin"
				echo "PROV_PG_AS=$as"
				echo "PROV_PG_OPTS='$opts'"
			} >"$state.tmp" && mv "$state.tmp" "$state" || return 1
			echo "pg.sh: PostgreSQL $("$bin/postgres" -V | awk '{print $3}')" \
				"on 127.0.0.1:$port, in $dir${as:+, as $as}"
			return 0
		fi
		echo "pg.sh: try $try on port $port failed:" >&2
		cat "$dir/pg_ctl.log" "$dir/postgres.log" >&2 2>/dev/null
		_pg_as "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
	done
	rm -rf "$dir"
	return 1
}

pg_stop() {
	local state=$1 PROV_PG_DIR="" PROV_PG_BIN="" PROV_PG_AS="" as pid="" i rc=0
	[ -e "$state" ] || return 0
	# shellcheck disable=SC1090
	. "$state" || return 1
	as=$PROV_PG_AS
	if [ -d "$PROV_PG_DIR/data" ]; then
		pid=$(head -1 "$PROV_PG_DIR/data/postmaster.pid" 2>/dev/null)
		if ! _pg_as "$PROV_PG_BIN/pg_ctl" -D "$PROV_PG_DIR/data" -m fast \
			-w -t 60 stop >/dev/null 2>&1; then
			if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
				echo "pg.sh: pg_ctl stop failed; killing $pid" >&2
				kill -KILL "$pid"
				rc=1
			fi
		fi
		# pg_ctl returns once the pid file is gone; the postmaster
		# itself exits a moment later.
		for i in $(seq 200); do
			[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
	fi
	if [ "${PROV_KEEP_TMP:-0}" = 1 ]; then
		echo "pg.sh: kept $PROV_PG_DIR" >&2
	else
		rm -rf "$PROV_PG_DIR"
	fi
	rm -f "$state"
	echo "pg.sh: stopped the server in $PROV_PG_DIR"
	return $rc
}

# Crash, and start again: what a database outage looks like to its clients.
pg_kill() {
	local state=$1 PROV_PG_DIR="" PROV_PG_BIN="" PROV_PG_AS="" as
	# shellcheck disable=SC1090
	. "$state" || return 1
	as=$PROV_PG_AS
	cd "$PROV_PG_DIR" || return 1 # pg_ctl's user may not enter the caller's directory
	_pg_as "$PROV_PG_BIN/pg_ctl" -D "$PROV_PG_DIR/data" -m immediate -w -t 60 stop >/dev/null
}

pg_restart() {
	local state=$1 PROV_PG_DIR="" PROV_PG_BIN="" PROV_PG_AS="" PROV_PG_OPTS="" as
	# shellcheck disable=SC1090
	. "$state" || return 1
	as=$PROV_PG_AS
	cd "$PROV_PG_DIR" || return 1
	_pg_as "$PROV_PG_BIN/pg_ctl" -D "$PROV_PG_DIR/data" -l "$PROV_PG_DIR/postgres.log" \
		-w -t 60 -o "$PROV_PG_OPTS" start >/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}:${2:-}" in
	start:?*) pg_start "$2" ;;
	stop:?*) pg_stop "$2" ;;
	kill:?*) pg_kill "$2" ;;
	restart:?*) pg_restart "$2" ;;
	*) sed -n '2,19s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
fi
