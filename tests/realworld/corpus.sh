#!/usr/bin/env bash
# The real-world corpus (device.md "Real-world input", issue 10): every
# profile FusionPBX and wazo-provd send to MPP and SPA phones, read in place
# from ../shared/realworld/rendered/, goes through `prov lint`, `prov phone
# apply`, and a resync over HTTP and over TFTP from `prov serve` on
# loopback; each device's values are checked against check.py's own
# reading of the XML.
#
# Usage: corpus.sh REALWORLD_DIR. Exit 77 (skipped) when the corpus is
# absent, except under CI=true, where it must be there: exit 1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rw=${1:?usage: corpus.sh REALWORLD_DIR}
if [ ! -d "$rw/rendered" ]; then
	if [ "${CI:-}" = true ]; then
		echo "corpus: $rw/rendered is missing (CI must have it)" >&2
		exit 1
	fi
	echo "corpus: $rw/rendered is missing: skipped" >&2
	exit 77
fi
rw=$(cd "$rw" && pwd)
. "$here/../integration/servers.sh"
prov_servers_init
cd "$PROV_TMP"
prov_serve "$rw/rendered"
fail=0

# product LINES KEM_UNITS KEM_KEYS for a file: the model it was rendered
# for; the common files go to the largest model of their family.
product() {
	case $1 in
	*9861*|*cp-phone*) echo CP-9861-3PCC 16 3 40 ;;
	*8841*|*model-cfg*) echo CP-8841-3PCC 10 0 0 ;;
	*6821*) echo CP-6821-3PCC 2 0 0 ;;
	*spa504g*) echo SPA504G 4 2 32 ;;
	*spa191*) echo SPA191 2 0 0 ;;
	*spa-phone*) echo SPA509G 12 2 32 ;;
	*) echo "corpus: no product for $1" >&2; return 1 ;;
	esac
}

# Values the profiles get wrong: an empty Yes/No is rejected for that
# parameter only (device.md D-PAR-3), which keeps its value.
rejected() {
	case $1 in
	*fusionpbx-spa504g*) echo Upgrade_Enable ;;
	esac
}

# check NAME FILE DIR: the device in DIR against FILE
check() {
	local name=$1 f=$2 dir=$3 pn lines units keys
	read -r pn lines units keys < <(product "$f")
	prov phone get --state "$dir" > "$dir.get"
	prov phone unknown --state "$dir" > "$dir.unknown"
	if ! python3 "$here/check.py" "$f" "$lines" "$units" "$keys" "$dir.get" \
		"$dir.unknown" $(rejected "$f") > "$dir.check"; then
		fail=1
	fi
	sed "s/^/$name: /" "$dir.check" | head -20
}

n=0
for f in "$rw"/rendered/*.xml; do
	b=$(basename "$f")
	read -r pn lines units keys < <(product "$f")
	n=$((n + 1))
	# lint: no real name is unknown; only the known-bad values are errors
	if prov lint "$f" 2> lint.err; then :; fi
	want=$(for r in $(rejected "$f"); do echo "$r"; done)
	have=$(sed -n "s/^prov: [^ ]*:[0-9]*:[0-9]*: \([A-Za-z0-9_.-]*\): invalid value.*/\1/p" lint.err)
	if grep -q 'unknown parameter' lint.err || [ "$want" != "$have" ] ||
	   [ "$(grep -vc 'invalid value' lint.err)" != 0 ]; then
		echo "lint $b:"; cat lint.err; fail=1
	fi
	# apply from the file
	prov phone init --state "a-$n" --mac 000e08abcd$(printf %02x $n) --product "$pn"
	prov phone apply --state "a-$n" "$f" > apply.out 2> apply.err || { cat apply.err; fail=1; }
	rej=$(sed -n 's/.* \([0-9]*\) rejected.*/\1/p' apply.out)
	if [ "$rej" != "$(rejected "$f" | wc -w)" ]; then
		echo "apply $b: $(cat apply.out)"; fail=1
	fi
	check "apply $b" "$f" "a-$n"
	# the same file fetched over HTTP and over TFTP by a resync
	for proto in http tftp; do
		port=$PROV_SERVE_HTTP
		[ $proto = tftp ] && port=$PROV_SERVE_TFTP
		d="$proto-$n"
		prov phone init --state "$d" --mac 000e08abcd$(printf %02x $n) --product "$pn"
		if ! prov phone resync --state "$d" "$proto://127.0.0.1:$port/$b" > resync.out 2>&1; then
			echo "resync $proto $b:"; cat resync.out; fail=1
		fi
		check "$proto $b" "$f" "$d"
		cmp -s "a-$n.get" "$d.get" || { echo "$proto $b: differs from apply"; fail=1; }
	done
done
echo "corpus: $n files"
exit $fail
