#!/usr/bin/env bash
# prov-serve.service's SystemCallFilter= allows every system call the
# server makes: `prov serve --check` (ExecStartPre) and a server with two
# workers, run as an unprivileged user as under DynamicUser= with the open
# files limit the unit sets, answering HTTP, TFTP and syslog, reloading on
# SIGHUP and draining on SIGTERM, are traced with strace; every call must
# be in the unit's allowed groups and in none of its denied ones (the unit
# answers a denied call with EPERM, which would fail quietly).
# Usage: syscalls.sh PROV UNIT_FILE WORK_DIR. Exits 77 (skip, which CI
# refuses) without strace, curl, logger or systemd-analyze, or when not root.
set -euo pipefail
prov=$1 unit=$2 work=$3
say() { printf 'syscalls: %s\n' "$*"; }
fail() { printf 'syscalls: FAIL: %s\n' "$*" >&2; exit 1; }
for t in strace curl logger systemd-analyze; do
	command -v "$t" >/dev/null || { say "skipped: $t is missing"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { say "skipped: needs root to trace as user nobody"; exit 77; }

# The names of a filter's groups and calls, groups expanded.
expand() {
	local w
	for w in "$@"; do
		if [[ $w == @* ]]; then
			systemd-analyze syscall-filter "$w" |
				sed -n 's/^    \([@a-z0-9_-]*\)$/\1/p' |
				while read -r x; do expand "$x"; done
		else
			echo "$w"
		fi
	done
}
allow_groups=$(sed -n 's/^SystemCallFilter=\([^~].*\)$/\1/p' "$unit")
deny_groups=$(sed -n 's/^SystemCallFilter=~\(.*\)$/\1/p' "$unit")
[ -n "$allow_groups" ] && [ -n "$deny_groups" ] || fail "$unit has no SystemCallFilter= lines"
grep -q '^LimitNOFILE=[0-9]*$' "$unit" || fail "$unit sets no LimitNOFILE= (soft = hard)"

rm -rf "$work"
mkdir -p "$work/tree"
chmod 755 "$work" "$work/tree"
echo hello >"$work/tree/a.txt"
chmod 644 "$work/tree/a.txt"
install -d -o nobody "$work/state"
# shellcheck disable=SC2086 # the unit's lists are words
expand $allow_groups | sort -u >"$work/allowed"
# shellcheck disable=SC2086
expand $deny_groups | sort -u >"$work/denied"
cat >"$work/prov.conf" <<EOF
root $work/tree
db sqlite:$work/state/prov.db
tftp 127.0.0.1:0
http 127.0.0.1:0
syslog 127.0.0.1:0
workers 2
log-level notice
EOF
chmod 644 "$work/prov.conf"

# The unit's LimitNOFILE= sets the soft limit to the hard one (here the
# hard limit this machine gives, which root may not be allowed to raise).
ulimit -Sn "$(ulimit -Hn)"
strace -f -qq -u nobody -o "$work/check.trace" "$prov" serve --config "$work/prov.conf" --check \
	>/dev/null
strace -f -qq -u nobody -o "$work/serve.trace" "$prov" serve --config "$work/prov.conf" \
	>"$work/serve.log" 2>&1 &
tracer=$!
trap 'kill "$tracer" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
	grep -q ' ready: ' "$work/serve.log" && break
	kill -0 "$tracer" 2>/dev/null || break
	sleep 0.1
done
grep -q ' ready: ' "$work/serve.log" || { cat "$work/serve.log"; fail "prov serve did not start"; }
port() { sed -n "s/.*listening: $1 [^ ]*:\([0-9]*\)\$/\1/p" "$work/serve.log"; }
master=$(sed -n 's/^prov serve\[\([0-9]*\)\]: notice: listening: .*/\1/p' "$work/serve.log" | head -1)
[ "$(curl -s --max-time 20 "http://127.0.0.1:$(port http)/a.txt")" = hello ] || fail "HTTP GET"
[ "$(curl -s --max-time 20 "tftp://127.0.0.1:$(port tftp)/a.txt")" = hello ] || fail "TFTP read"
logger -n 127.0.0.1 -P "$(port syslog)" -d "syscalls test"
kill -HUP "$master"
for _ in $(seq 600); do
	[ "$(grep -c 'configuration reloaded' "$work/serve.log")" -ge 2 ] && break
	sleep 0.1
done
[ "$(grep -c 'configuration reloaded' "$work/serve.log")" -ge 2 ] || fail "no reload"
kill -TERM "$master"
wait "$tracer" || fail "prov serve exited $?"
trap - EXIT

sed -n 's/^[0-9]* *\([a-z0-9_]*\)(.*/\1/p' "$work/check.trace" "$work/serve.trace" |
	sort -u >"$work/used"
[ "$(wc -l <"$work/used")" -gt 20 ] || fail "the trace holds too few calls to be a server's"
bad=$(comm -23 "$work/used" "$work/allowed"; comm -12 "$work/used" "$work/denied")
[ -z "$bad" ] || fail "calls the unit's SystemCallFilter= refuses: $(echo $bad)"
say "ok: $(wc -l <"$work/used") system calls, all allowed by the unit"
