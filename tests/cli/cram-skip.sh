#!/bin/sh
# Runs one cram transcript (arguments: the cram command line) and exits 80,
# the SKIP_RETURN_CODE of the cli tests, when cram skipped it (the
# transcript ran `exit 80`): cram itself reports a skip as success, and a
# skipped test must not pass.
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^# Ran 1 tests, 1 skipped, 0 failed\.$'; then
	exit 80
fi
exit "$rc"
