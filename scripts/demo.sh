#!/usr/bin/env bash
# The main job (README): installs what is missing for the demo only,
# builds a release prov, creates a phone in a fresh state directory and shows a profile being
# linted, expanded and applied, as the phone's resync would apply it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Only what the demo runs (scripts/deps.sh demo: the compiler, the
# libraries, curl), then only the prov binary, with progress on stderr.
scripts/deps.sh demo
echo "prov: configuring (cmake --preset release)" >&2
cmake --preset release >/dev/null
echo "prov: building prov" >&2
cmake --build build/release -j"$(nproc)" --target prov-cli |
	awk '/^\[ *[0-9]+%\]/ { pct = $1 $2 }
	     /Building C object/ { n++; if (n % 10 == 0) printf "prov: %s compiled %d files\n", pct, n > "/dev/stderr" }
	     /Linking C executable/ { print "prov: linking prov" > "/dev/stderr" }'
prov=build/release/cli/prov
export PATH="$PWD/build/release/cli:$PATH"
state=$(mktemp -d /tmp/prov-demo.XXXXXX)
trap 'rm -rf "$state"' EXIT

# Shows a command as one would type it, then runs it.
step() {
	local a line='$'
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then line+=" $a"; else line+=" '$a'"; fi
	done
	printf '\n\033[1m%s\033[0m\n' "$line"
	"$@" || true
}

echo "A CP-8841-3PCC phone, MAC 00:0e:08:ab:cd:ef, state in $state"
step prov phone init --state "$state/phone" --mac 00:0e:08:ab:cd:ef
step prov phone get --state "$state/phone" GPP_A Profile_Rule Resync_Periodic
step prov lint examples/basic.xml
step prov lint examples/typo.xml
step prov expand --state "$state/phone" 'tftp://192.0.2.200/CP-8841-3PCC$MA.cfg'
step prov eval --state "$state/phone" '$SWVER lt sip88xx.12-0-1MPP-1'
step prov phone apply --state "$state/phone" examples/basic.xml examples/typo.xml
step prov phone get --state "$state/phone" GPP_A GPP_B Resync_Periodic Password_1_
step prov expand --state "$state/phone" 'tftp://prov.example.com/cisco/$B/$MA.cfg'
step prov phone unknown --state "$state/phone"

echo
echo "Now over the network: the profile packed as phones read it (gzip, then"
echo "AES-256-CBC as openssl enc writes it), served by prov serve on loopback"
echo "(TFTP, HTTP and a syslog collector on free ports), which records every"
echo "request and the phone's syslog in its history."
source tests/integration/servers.sh
prov_servers_init
trap 'prov_servers_stop; rm -rf "$state"' EXIT
mkdir -p "$state/tree"
chmod 755 "$state" "$state/tree"
step prov pack --gzip --key 'My Own Secret' examples/basic.xml -o "$state/tree/basic.cfg"
cp examples/basic.xml "$state/tree/CP-8841-3PCC000e08abcdef.xml"
chmod 644 "$state/tree/"*

echo
echo "The server also knows the phone: an inventory in its database, from"
echo "which a route renders the phone its own profile, and a second route"
echo "serves that profile gzipped and encrypted with the phone's own key."
db="sqlite:$PROV_TMP/serve.db"
step prov device add 000e08abcdef --product CP-8841-3PCC --set USER=1001 \
	--set PASS=s3cret --db "$db"
step prov var set PROXY=sip.example.com --db "$db"
step prov template set CP-8841-3PCC examples/template-8841.xml --db "$db"
step prov template lint CP-8841-3PCC --db "$db"
step prov device list --db "$db"
routes=(--route '/$MA.xml template=$PN' --route '/e/$KEY_ID/$MA.cfg template=$PN gzip encrypt=openssl')
printf '\n\033[1m$ prov serve --root %s --db %s --tftp 127.0.0.1:0 --http 127.0.0.1:0 --syslog 127.0.0.1:0 %s\033[0m\n' \
	"$state/tree" "$db" "--route '/\$MA.xml template=\$PN' --route '/e/\$KEY_ID/\$MA.cfg template=\$PN gzip encrypt=openssl'"
prov_serve "$state/tree" "${routes[@]}"
grep -E 'listening|ready' "$PROV_SERVE_LOG" | sed 's/^/    /'
http=$PROV_SERVE_HTTP tftp=$PROV_SERVE_TFTP syslog=$PROV_SERVE_SYSLOG
step prov phone set --state "$state/phone" GPP_A=old "Syslog_Server=127.0.0.1:$syslog" \
	"Profile_Rule=[--key \"My Own Secret\"] http://127.0.0.1:$http/basic.cfg" \
	"Profile_Rule_B=tftp://127.0.0.1:$tftp/CP-8841-3PCC\$MA.xml"
step prov phone resync --state "$state/phone"
step prov phone get --state "$state/phone" GPP_A

echo
echo "The phone's own profile: the first route gives it its key and a rule"
echo "for the encrypted one (in production that first route is HTTPS with"
echo "require=cert, the phone's certificate proving its MAC: tests/cli/secure.t);"
echo "the phone then resyncs that rule. prov device render shows what is sent."
step prov device render 000e08abcdef /000e08abcdef.xml --db "$db" "${routes[@]:0:2}"
step prov phone resync --state "$state/phone" "http://127.0.0.1:$http/\$MA.xml"
step prov phone resync --state "$state/phone"
step prov phone get --state "$state/phone" User_ID_1_ Password_1_ Proxy_1_ Profile_Rule
step prov device show 000e08abcdef --db "$db"
step prov phone status --state "$state/phone"
sleep 0.5
step prov log --db "sqlite:$PROV_TMP/serve.db"
step prov log --db "sqlite:$PROV_TMP/serve.db" --syslog
step curl -s "http://127.0.0.1:$http/healthz"
kill -TERM "$PROV_SERVE_PID"
