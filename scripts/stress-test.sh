#!/usr/bin/env bash
# The test suite on a loaded machine: scripts/test.sh (both builds, every
# test) while `stress-ng --cpu N` (default 2, PROV_STRESS_CPU) keeps N
# cores busy. Tests must not depend on how fast the machine is: timing
# goes through the injected clock or generous, load-independent bounds
# (docs/HACKING.md). stress-ng is installed for this script only, not by
# the normal test command. Extra arguments go to ctest (e.g. -R serve).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh stress-ng
stress-ng --cpu "${PROV_STRESS_CPU:-2}" --timeout 0 --quiet &
stress=$!
trap 'kill "$stress" 2>/dev/null || true; wait "$stress" 2>/dev/null || true' EXIT
echo "== stress-ng --cpu ${PROV_STRESS_CPU:-2} (pid $stress)" >&2
scripts/test.sh "$@"
