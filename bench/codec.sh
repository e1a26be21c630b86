#!/bin/sh
# codec.sh: decoding a gzip + AES-256-CBC profile, prov against the tools
# phones' profiles are made with, in the same run (bench/README.md).
#
#   1. builds a Release tree (build/release) with bench_codec and prov;
#   2. runs bench_codec: prov_unpack in-process against AES and inflate
#      alone, and writes a 40 KB and a 1 MB profile packed with MD5 key
#      derivation;
#   3. checks that `prov unpack` and `openssl enc -d | gunzip` give the
#      profile back byte for byte, then times the two whole commands with
#      hyperfine and prints the ratio (peer / prov: above 1, prov is faster),
#      and what starting each program costs;
#   4. runs `openssl speed -evp aes-256-cbc` (decrypt, and encrypt for
#      reference) on 16 KB blocks: the limit for the decryption part.
#
# usage: bench/codec.sh [ITERATIONS]   (bench_codec's -n, default 4000)
# Needs cmake, a C compiler, openssl, gzip, hyperfine and jq; as root it
# installs the last two with apt-get when they are missing.
set -eu

cd "$(dirname "$0")/.."
iter=${1:-4000}
key='prov-bench-key'
build=build/release
out=$(mktemp -d "${TMPDIR:-/tmp}/prov-codec.XXXXXX")
trap 'rm -rf "$out"' EXIT

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get install -y "$1" >/dev/null || { apt-get update >/dev/null && apt-get install -y "$1" >/dev/null; }
	fi
	command -v "$1" >/dev/null 2>&1 || { echo "codec.sh: $1 is needed" >&2; exit 1; }
}
need hyperfine
need jq

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_codec prov-cli >/dev/null
prov=$PWD/$build/cli/prov

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "# $(openssl version), $(gzip --version | head -1), $(hyperfine --version)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$build/bench/bench_codec" -n "$iter" -k "$key" "$out" | tee "$out/bench_codec.txt"

# The same bytes out of both, and the profile, before anything is timed.
for f in codec-40k codec-1m; do
	"$prov" unpack --key "$key" "$out/$f.enc" >"$out/$f.prov"
	openssl enc -d -aes-256-cbc -md md5 -k "$key" -in "$out/$f.enc" 2>/dev/null |
		gunzip >"$out/$f.peer"
	cmp "$out/$f.prov" "$out/$f.peer"
	cmp "$out/$f.prov" "$out/$f.xml"
done
echo
echo "outputs identical (prov unpack, openssl enc -d | gunzip, the profile)"

for f in codec-40k codec-1m; do
	# Both as `sh -c '...'` without hyperfine's shell (-N): a pipeline
	# needs a shell, and hyperfine's subtraction of its own shell's start
	# is not reliable for commands this short. The shell's start is in
	# both; prov's ratio is the smaller for it.
	hyperfine --style basic -N --warmup 20 --runs 500 \
		--export-json "$out/$f.json" \
		-n "prov unpack" "sh -c '$prov unpack --key $key $out/$f.enc > /dev/null'" \
		-n "openssl enc -d | gunzip" \
		"sh -c 'openssl enc -d -aes-256-cbc -md md5 -k $key -in $out/$f.enc 2>/dev/null | gunzip > /dev/null'" \
		>"$out/$f.hyperfine.txt"
done

# What starting the programs costs, doing nothing: the floor of each column.
hyperfine --style basic -N --warmup 20 --runs 500 --export-json "$out/start.json" \
	-n "sh -c true" "sh -c true" \
	-n "prov --version" "$prov --version" \
	-n "openssl version" "openssl version" >"$out/start.txt"

speed() {
	openssl speed -evp aes-256-cbc -bytes 16384 -seconds 2 "$@" 2>/dev/null |
		awk '/^(AES-256-CBC|aes-256-cbc)/ { v = $NF; sub(/k$/, "", v); printf "%.0f", v / 1000 }'
}
aes_dec=$(speed -decrypt)
aes_enc=$(speed)

echo
printf '%-10s %8s %14s %14s %9s %10s %11s\n' file bytes "prov ms" "peer ms" \
	peer/prov "prov MB/s" in-process
for f in codec-40k codec-1m; do
	size=$(wc -c <"$out/$f.xml")
	mbs=$(sed -n "s/^result $f .*unpack_mbs=\([0-9.]*\).*/\1/p" "$out/bench_codec.txt")
	jq -r '[.results[0].mean, .results[0].stddev, .results[1].mean,
		.results[1].stddev] | @tsv' "$out/$f.json" |
		awk -v f="$f" -v size="$size" -v mbs="$mbs" '{
			printf "%-10s %8d %6.2f ± %5.2f %6.2f ± %5.2f %8.2fx %10.0f %11.0f\n",
			    f, size, $1 * 1e3, $2 * 1e3, $3 * 1e3, $4 * 1e3, $3 / $1,
			    size / $1 / 1e6, mbs }'
done
echo
jq -r '.results[] | [.command, .mean, .stddev] | @tsv' "$out/start.json" |
	awk -F'\t' '{ printf "%-16s %6.2f ± %5.2f ms: process start, nothing done\n",
	    $1, $2 * 1e3, $3 * 1e3 }'
echo
echo "prov ms / peer ms: whole-command wall time, mean ± stddev (hyperfine);"
echo "prov MB/s: profile bytes / mean command time; in-process: prov_unpack"
echo "alone (bench_codec median), MB = 10^6 bytes"
echo "openssl speed -evp aes-256-cbc, 16 KB blocks: decrypt $aes_dec MB/s," \
	"encrypt $aes_enc MB/s (of ciphertext)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
