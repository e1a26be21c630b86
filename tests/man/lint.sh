#!/usr/bin/env bash
# mandoc -T lint, at the warning level, on every man page (man/); exits 77
# (skip, which CI refuses) without mandoc.
set -euo pipefail
command -v mandoc >/dev/null || { echo "man: skipped: mandoc is missing"; exit 77; }
pages=("$1"/*.[0-9])
mandoc -T lint -W warning "${pages[@]}"
echo "man: ${#pages[@]} pages lint clean"
