#!/bin/sh
# startup.sh: `prov unpack` of a 40 KB gzip + AES profile, the whole
# command, against `openssl enc -d | gunzip`, in the same run (issue 17
# item 4, bench/README.md "start-up"). Rounds alternate the commands so
# that a slow spell of a shared machine falls on each; each round is
# `perf stat -r RUNS` of every command under `sh -c` (a pipeline needs a
# shell; the shell's start is in both). Prints each round's means and the
# ratio peer / prov (above 1: prov is faster), then the median ratio.
#
# usage: bench/startup.sh [ROUNDS [RUNS]]     default 5 rounds of 100 runs
#   OLD=path/to/another/prov adds a third column (a before/after check)
# Needs perf, openssl, gzip; builds build/release (bench_codec, prov).
set -eu

cd "$(dirname "$0")/.."
rounds=${1:-5}
runs=${2:-100}
key='prov-bench-key'
build=build/release
out=$(mktemp -d "${TMPDIR:-/tmp}/prov-startup.XXXXXX")
trap 'rm -rf "$out"' EXIT

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_codec prov-cli >/dev/null
prov=$PWD/$build/cli/prov
"$build/bench/bench_codec" -n 10 -k "$key" "$out" >/dev/null
f=$out/codec-40k.enc
"$prov" unpack --key "$key" "$f" | cmp - "$out/codec-40k.xml"
openssl enc -d -aes-256-cbc -md md5 -k "$key" -in "$f" 2>/dev/null | gunzip |
	cmp - "$out/codec-40k.xml"

mean_ms() { # COMMAND: perf stat's mean wall time over $runs, in ms
	perf stat -r "$runs" sh -c "$1" 2>&1 >/dev/null |
		awk '/seconds time elapsed/ { printf "%.3f", $1 * 1000 }'
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(openssl version)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %10s %10s %10s %s\n' round "prov ms" "peer ms" peer/prov "${OLD:+old ms}"
i=0
while [ "$i" -lt "$rounds" ]; do
	i=$((i + 1))
	p=$(mean_ms "$prov unpack --key $key $f > /dev/null")
	q=$(mean_ms "openssl enc -d -aes-256-cbc -md md5 -k $key -in $f 2>/dev/null | gunzip > /dev/null")
	o=
	[ -n "${OLD:-}" ] && o=$(mean_ms "$OLD unpack --key $key $f > /dev/null")
	printf '%-6s %10s %10s %9.2fx %s\n' "$i" "$p" "$q" "$(echo "$q $p" | awk '{ print $1 / $2 }')" "$o"
done | tee "$out/rounds"
awk 'NR > 0 { print $4 }' "$out/rounds" | tr -d x | sort -n |
	awk '{ v[NR] = $1 } END { printf "median peer/prov: %.2fx over %d rounds\n", v[int((NR + 1) / 2)], NR }'
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
