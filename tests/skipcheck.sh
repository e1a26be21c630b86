#!/usr/bin/env bash
# Runs one test command and turns a hidden skip into a visible one: cram
# reports `exit 80` as "N skipped" and cmocka's skip() as "[  SKIPPED ]",
# yet both exit 0, which CTest would count as passed. A run that exited 0
# but skipped anything exits 77 instead (the tests' SKIP_RETURN_CODE), so
# CTest lists it under "did not run (Skipped)" and scripts/test.sh can
# refuse skips that CI should never hit. Any other status passes through.
set -u
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" >"$out" 2>&1
rc=$?
cat "$out"
if [ "$rc" -eq 0 ]; then
	if grep -Eq '^\[  SKIPPED \]|^# Ran [0-9]+ tests, [1-9][0-9]* skipped' "$out"; then
		echo "skipcheck: the run above skipped something: reported as skipped" >&2
		exit 77
	fi
fi
exit "$rc"
