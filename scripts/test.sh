#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds the
# debug and the ASan+UBSan configurations, and runs the whole suite in
# both. Extra arguments go to ctest (e.g. -R macro).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
jobs=$(nproc)

for preset in debug asan; do
	echo "== $preset: build" >&2
	cmake --preset "$preset" >/dev/null
	cmake --build "build/$preset" -j"$jobs" >/dev/null
	echo "== $preset: test" >&2
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir "build/$preset" -j"$jobs" --output-on-failure "$@"
done
