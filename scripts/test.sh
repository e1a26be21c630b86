#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds the
# debug and the ASan+UBSan configurations, and runs the whole suite in
# both. Extra arguments go to ctest (e.g. -R macro).
#
# The debug run includes the PostgreSQL variants (label pg: cli-pg/*, run
# against a server the fixture pg/start starts from Debian's binaries in a
# temporary directory; docs/HACKING.md); the ASan run leaves them out
# (-LE pg): the same C code above the storage layer is checked under ASan
# on SQLite, and the suite stays within its time on two cores.
#
# A skipped test is not a passed test: the run fails if any test was skipped,
# unless its name matches PROV_ALLOW_SKIP (an extended regular expression),
# which is for machines that lack what CI always has (docs/HACKING.md: a
# chroot without network namespaces sets PROV_ALLOW_SKIP='^cli/dhcp_netns$').
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

scripts/deps.sh test
jobs=$(nproc)

for preset in debug asan; do
	only=()
	[ "$preset" = asan ] && only=(-LE pg)
	echo "== $preset: build" >&2
	cmake --preset "$preset" >/dev/null
	cmake --build "build/$preset" -j"$jobs" >/dev/null
	echo "== $preset: test" >&2
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir "build/$preset" -j"$jobs" --output-on-failure \
			"${only[@]}" "$@" |
		tee "$log"
	skipped=$(sed -n 's/^[[:space:]]*[0-9]* - \(.*\) (Skipped)$/\1/p' "$log")
	if [ -n "$skipped" ]; then
		bad=$(printf '%s\n' "$skipped" |
			grep -Ev "${PROV_ALLOW_SKIP:-^\$}" || true)
		if [ -n "$bad" ]; then
			printf 'test.sh: %s: skipped, which this run does not allow:\n%s\n' \
				"$preset" "$bad" >&2
			exit 1
		fi
		printf 'test.sh: %s: skipped as allowed by PROV_ALLOW_SKIP:\n%s\n' \
			"$preset" "$skipped" >&2
	fi
done
