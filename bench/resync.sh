#!/bin/bash
# resync.sh: one resync of four partitioned gzip + AES profiles over HTTP,
# `prov phone resync` against curl | openssl enc -d | gunzip doing the same
# fetching and decoding, in the same run (bench/README.md).
#
#   1. builds a Release tree (build/release) with prov;
#   2. generates four distinct flat-profiles of about 40 KB and 350
#      parameters each (site, lines 1-5, lines 6-10, directory and keys:
#      no name in two of them), packs each with `prov pack --gzip --key K`,
#      and serves them from nginx on 127.0.0.1 (tests/integration/servers.sh);
#   3. creates two devices whose Profile_Rule, _B, _C and _D fetch the four
#      files with [--key K]: one with its state on the build tree's file
#      system, one on tmpfs (/dev/shm), which shows what fsync costs;
#   4. checks that the peer gives the four profiles back byte for byte and
#      that prov applies them without rejecting a value, then times, with
#      hyperfine in one invocation (four alternating rounds), the peer (four
#      pipelines in a row, as a phone's four rules), prov's resync on both
#      devices and the programs' bare start, and prints the ratio
#      (peer / prov: above 1, prov is faster);
#   5. measures peak RSS (GNU time's %M): prov's resync against each of
#      the peer's processes, the largest alone and the largest pipeline
#      (its three processes run at once, so their peaks add);
#   6. measures an idle `prov phone run`: before any resync, and after its
#      power-up resync of the four profiles (VmRSS, RssAnon, VmHWM).
#
# prov does more than the peer: it parses each profile, validates every
# value against the parameter table, compares with the stored state and
# applies each profile in one SQLite transaction (synchronous=FULL, so
# fsync), and records the resync's status. After the first resync every
# value is unchanged: the steady state of a periodic resync.
#
# usage: bench/resync.sh [RUNS]   (hyperfine runs per command and
#                                  round, default 30; 4 rounds)
# Needs cmake, a C compiler, nginx, curl, openssl, gzip, python3,
# hyperfine, jq and GNU time; as root it installs the last three with
# apt-get when they are missing.
set -euo pipefail

cd "$(dirname "$0")/.."
runs=${1:-30}
[ "$runs" -ge 30 ] 2>/dev/null || { echo "resync.sh: RUNS must be 30 or more" >&2; exit 2; }
key='prov-bench-key'
build=build/release
blocks=4     # hyperfine rounds, each of RUNS runs of every command
rss_runs=10  # GNU time samples per command; the median is shown

need() { # COMMAND [PACKAGE]
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get install -y "${2:-$1}" >/dev/null ||
			{ apt-get update >/dev/null && apt-get install -y "${2:-$1}" >/dev/null; }
	fi
	command -v "$1" >/dev/null 2>&1 || { echo "resync.sh: $1 is needed" >&2; exit 1; }
}
need hyperfine
need jq
need /usr/bin/time time
for c in nginx curl openssl gzip python3 cmake; do need "$c"; done

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target prov-cli >/dev/null
prov=$PWD/$build/cli/prov

# shellcheck source=tests/integration/servers.sh
. tests/integration/servers.sh
prov_servers_init
tmp=$PROV_TMP
# The device on disk lives in the build tree (a temporary directory may be
# tmpfs); the other on tmpfs.
disk=$(mktemp -d "$PWD/$build/bench-resync.XXXXXX")
shm=$(mktemp -d /dev/shm/prov-resync.XXXXXX)
agent=
cleanup() {
	[ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	rm -rf "$disk" "$shm"
	prov_servers_stop
}
trap cleanup EXIT

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "# $(curl --version | head -1 | cut -d' ' -f1-2), $(openssl version | cut -d' ' -f1-2)," \
	"$(gzip --version | head -1), $(nginx -v 2>&1 | sed 's/.*: //'), $(hyperfine --version)"
echo "# state: $disk ($(df --output=fstype "$disk" | tail -1)), $shm ($(df --output=fstype "$shm" | tail -1))"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the profiles ---------------------------------------------------------
#
# Real names the table knows (provisioning, GPP_*, Line_Enable_N_,
# Display_Name_N_, User_ID_N_, Password_N_, Auth_ID_N_, Proxy_N_,
# Privacy_Header_N_) with valid values, among the many a real profile
# carries that this device does not model (SIP, tones, dial plans,
# directory, keys): remembered as unknown names. Passwords and numbers are
# random from a fixed seed, so the files compress as real ones do and stay
# the same from run to run. No rule, server or Provision_Enable is set:
# the resync must not change where it fetches from, or send anything.
mkdir -p "$tmp/www"
python3 - "$tmp/www" <<'EOF'
import random, string, sys

out = sys.argv[1]
TARGET = 40 * 1024
rnd = random.Random(20261128)
FIRST = ["Anna", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hiro",
         "Ines", "Jonas", "Kofi", "Lena", "Marco", "Nadia", "Oskar", "Priya"]
LAST = ["Andersen", "Bianchi", "Castillo", "Dubois", "Eriksson", "Fischer",
        "Garcia", "Horvath", "Ivanova", "Jansen", "Kowalski", "Lindqvist",
        "Moreau", "Novak", "Okafor", "Petrov"]
CODECS = ["G711u", "G711a", "G722", "OPUS", "G729a"]
TONES = ["350@-19,440@-19;10(*/0/1+2)", "420@-19,520@-19;10(*/0/1+2)",
         "480@-19,620@-19;10(.5/.5/1+2)", "440@-19,480@-19;*(2/4/1+2)",
         "985@-16,1428@-16,1777@-16;20(.380/0/1,.380/0/2,.380/0/3,0/4/0)",
         "350@-19,440@-19;2(.1/.1/1+2);10(*/0/1+2)", "600@-19;25(.1/.1/1,.1/.1/1,.1/9.5/1)"]

def token(n):
    return "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(n))

def person():
    return "%s %s" % (rnd.choice(FIRST), rnd.choice(LAST))

def num():
    return "%d" % rnd.randrange(2000, 9999)

def host(s):
    return lambda: "%s%d.example.net" % (s, rnd.randrange(4))

def pick(*v):
    return lambda: rnd.choice(v)

def rng(lo, hi):
    return lambda: str(rnd.randrange(lo, hi))

def dial_plan():
    return ("(*xx|[3469]11|0|00|[2-9]xxxxxx|1xxx[2-9]xxxxxxS0|xxxxxxxxxxxx.|"
            "8[1-%d]xx|9,:1xxx[2-9]xxxxxx|<#9:%s>|<9,:>[2-9]xxxxxx|<:@gw%d>%sxx)"
            % (rnd.randrange(2, 9), rnd.choice(["911", "112", "999"]),
               rnd.randrange(4), num()))

def xsi():
    return ("https://xsp%d.example.net/com.broadsoft.xsi-actions/v2.0/user/%s@example.net/"
            "services/%s" % (rnd.randrange(3), num(),
                             rnd.choice(["callforwardingalways", "donotdisturb",
                                         "anonymouscallrejection", "remoteoffice"])))

def sip_uri():
    return "sip:%s@sip%d.example.net;transport=%s;user=phone" % (
        num(), rnd.randrange(3), rnd.choice(["udp", "tcp", "tls"]))

def header():
    return ("P-Preferred-Identity: <sip:%s@example.net>, P-Access-Network-Info: "
            "IEEE-802.3;eth-location=%s" % (num(), token(12)))

def code():
    return "*%d" % rnd.randrange(10, 99)

YN = pick("Yes", "No")

def esc(v):
    return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

def el(n, v, ua="na", group=None):
    g = ' group="%s"' % group if group else ""
    return '<%s ua="%s"%s>%s</%s>\n' % (n, ua, g, esc(v), n)

# Real names the table does not model, each with the kind of value it takes;
# then numbered, long-valued ones (tones, rules, headers) until the size.
SITE = [("Primary_DNS", pick("10.20.0.53")), ("Secondary_DNS", pick("10.20.1.53")),
        ("Primary_NTP_Server", pick("0.pool.ntp.org")),
        ("Secondary_NTP_Server", pick("1.pool.ntp.org")), ("Time_Zone", pick("GMT+01:00")),
        ("Daylight_Saving_Time_Rule", pick("start=3/-1/7/2;end=10/-1/7/2;save=1")),
        ("Station_Name", pick("Reception desk, building 4")), ("Voice_Mail_Number", code),
        ("Dictionary_Server_Script", lambda: "serv=http://lang.example.net/;d0=English;"
         "x0=en-US_%s.xml;d1=Deutsch;x1=de-DE_%s.xml" % (num(), num())),
        ("Language_Selection", pick("English", "Deutsch")), ("Web_Server_Port", pick("80")),
        ("Enable_Web_Admin_Access", YN), ("SIP_T1", pick(".5")), ("SIP_T2", pick("4")),
        ("SIP_T4", pick("5")), ("RTP_Port_Min", pick("16384")), ("RTP_Port_Max", pick("16482")),
        ("RTP_Packet_Size", pick("0.020")), ("Max_RTP_ICMP_Err", pick("0")),
        ("Call_Pickup_Code", code), ("Call_Park_Code", code), ("Blind_Transfer_Code", code),
        ("Cfwd_All_Act_Code", code), ("DND_Act_Code", code), ("XSI_Host_Server", host("xsp")),
        ("XML_Directory_Service_URL", xsi), ("XML_Application_Service_URL", xsi),
        ("LDAP_Server", host("ldap")), ("LDAP_Search_Base",
                                        pick("ou=people,dc=example,dc=net")),
        ("Peer_Firmware_Sharing", YN), ("CDP_Enable", YN), ("LLDP-MED_Enable", YN),
        ("Enable_VLAN", YN), ("VLAN_ID", rng(2, 4000)), ("Network_Startup_Delay", pick("3")),
        ("Screen_Saver_Wait", rng(60, 3600)), ("Back_Light_Timer", pick("1m", "5m", "Always On")),
        ("Interdigit_Long_Timer", pick("10")), ("Interdigit_Short_Timer", pick("3")),
        ("Emergency_Number", pick("911,112"))]
SITE_MORE = [("Custom_Tone_%d_", lambda: rnd.choice(TONES)), ("Regional_Dial_Plan_%d_", dial_plan),
             ("Ring%d", lambda: "n=Classic-%d;w=%d;c=%d" % (rnd.randrange(9), rnd.randrange(3),
                                                            rnd.randrange(9))),
             ("XSI_Service_URL_%d_", xsi), ("Trusted_Header_%d_", header)]
LINE = [("Outbound_Proxy", lambda: "sbc%d.example.net:5061" % rnd.randrange(2)),
        ("SIP_Port", rng(5060, 5080)), ("SIP_Transport", pick("UDP", "TCP", "TLS", "AUTO")),
        ("Register_Expires", pick("3600")), ("Use_Auth_ID", YN),
        ("Preferred_Codec", pick(*CODECS)), ("Second_Preferred_Codec", pick(*CODECS)),
        ("Voice_Mail_Server", host("vm")), ("Mailbox_ID", num), ("Dial_Plan", dial_plan),
        ("Caller_ID_Map", pick("(<+1:>xxxxxxxxxx|<+44:0>x.)")),
        ("Conference_Bridge_URL", sip_uri), ("MOH_Server", host("moh")),
        ("Shared_User_ID", YN), ("Call_Park_Server", host("park")),
        ("Blind_Attn-Xfer_Enable", YN), ("SIP_Remote-Party-ID", YN),
        ("Auth_Resync-Reboot", YN), ("Alternate_Proxy", host("sip-alt")),
        ("Alternate_Outbound_Proxy", host("sbc-alt")), ("XSI_Host_Server", host("xsp")),
        ("Contact_List", xsi), ("Message_Waiting", YN), ("Network_Jitter_Level",
                                                        pick("low", "medium", "high")),
        ("SRTP_Method", pick("x-sipura", "s-descriptor")), ("Ext_Header", header),
        ("Subscribe_Expires", pick("1800")), ("Feature_Key_Sync", YN),
        ("Call_Feature_Settings_URL", xsi), ("Emergency_Route", sip_uri)]
LINE_MORE = [("Custom_Header_%d", header), ("Dial_Plan_Alt_%d", dial_plan),
             ("Service_URL_%d", xsi)]

def site():
    for name, v in (("Resync_Periodic", "86400"), ("Resync_Error_Retry_Delay", "600,1200,2400,3600"),
                    ("Resync_At__HHmm_", "0300"), ("Resync_At_Random_Delay", "900"),
                    ("Forced_Resync_Delay", "14400"), ("Resync_From_SIP", "Yes"),
                    ("Resync_Fails_On_FNF", "Yes"), ("User_Configurable_Resync", "No"),
                    ("Log_Request_Msg", "$PN $MAC -- Requesting resync $SCHEME://$SERVIP:$PORT$PATH"),
                    ("Log_Success_Msg", "$PN $MAC -- Successful resync $SCHEME://$SERVIP:$PORT$PATH"),
                    ("Log_Failure_Msg", "$PN $MAC -- Resync failed: $ERR"), ("Debug_Level", "NOTICE"),
                    ("Syslog_Identifier", "$MA"), ("Upgrade_Enable", "Yes"),
                    ("Upgrade_Error_Retry_Delay", "3600"), ("Admin_Password", token(16))):
        yield el(name, v)
    yield el("User_Password", token(8), ua="rw")
    for k in "ABCDEFGHIJKLMNOP":
        yield el("GPP_" + k, rnd.choice([token(12), str(rnd.randrange(100000)), xsi()]))
    for k in ("SA", "SB", "SC", "SD"):
        yield el("GPP_" + k, token(24))
    for name, f in SITE:
        yield el(name, f(), ua=rnd.choice(["na", "na", "ro", "rw"]))
    i = 0
    while True:
        i += 1
        for name, f in SITE_MORE:
            yield el(name % i, f())

def line(n, budget):
    uid = num()
    first = [el("Line_Enable_%d_" % n, "Yes"),
             el("Display_Name_%d_" % n, person(), ua="rw"),
             el("User_ID_%d_" % n, uid),
             el("Password_%d_" % n, token(16)),
             el("Auth_ID_%d_" % n, "%s-auth" % uid),
             el("Proxy_%d_" % n, "sip%d.example.net" % (n % 3)),
             el("Privacy_Header_%d_" % n, rnd.choice(["Disabled", "none", "header", "session"]))]
    rest = [el("%s_%d_" % (name, n), f()) for name, f in LINE]
    i = 0
    while sum(map(len, first + rest)) < budget:
        i += 1
        for name, f in LINE_MORE:
            rest.append(el("%s_%d_" % (name % i, n), f()))
    while sum(map(len, first + rest)) > budget:
        rest.pop()
    yield from first + rest

def lines(first):
    for n in range(first, first + 5):
        yield from line(n, (TARGET - 200) // 5)

def directory():
    i = 0
    while True:
        i += 1
        kind = i % 3
        if kind == 0:
            yield el("Directory_Entry_%d_" % i,
                     "n=%s;p=+1408%07d;m=+1650%07d;e=%s@example.net;r=%d" %
                     (person(), rnd.randrange(10**7), rnd.randrange(10**7), token(8).lower(),
                      rnd.randrange(10)), ua="rw")
        elif kind == 1:
            yield el("Extended_Function_%d_" % i,
                     "fnc=blf+sd+cp;sub=%s@sip.example.net;ext=%s@sip.example.net;nme=%s" %
                     (num(), num(), person()), group="Phone/Line_Key_%d" % i)
        else:
            yield el("Line_Key_%d_Label_" % i, person(), ua="rw")
            yield el("Speed_Dial_%d_" % i, "n=%s;u=%s@sip.example.net" % (person(), num()),
                     ua="rw")

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<device>\n'
        '<!-- generated by bench/resync.sh: %s -->\n<flat-profile>\n')
TAIL = "</flat-profile>\n</device>\n"
for f, what, gen in (("p1", "site", site()), ("p2", "lines 1-5", lines(1)),
                     ("p3", "lines 6-10", lines(6)), ("p4", "directory and keys", directory())):
    text, count = HEAD % what, 0
    for e in gen:
        if len(text) + len(e) + len(TAIL) > TARGET:
            break
        text += e
        count += 1
    text += TAIL
    with open("%s/%s.xml" % (out, f), "w") as fh:
        fh.write(text)
    print("# %s.xml: %s, %d bytes, %d parameters, gzip %d" %
          (f, what, len(text), count, len(__import__("zlib").compress(text.encode(), 6))))
EOF
for p in p1 p2 p3 p4; do
	"$prov" pack --gzip --key "$key" "$tmp/www/$p.xml" -o "$tmp/www/$p.cfg"
done
echo "# packed (gzip + AES-256-CBC, MD5 key derivation): $(for p in p1 p2 p3 p4; do
	printf '%s.cfg %d bytes  ' "$p" "$(wc -c <"$tmp/www/$p.cfg")"; done)"

prov_nginx "$tmp/www" >"$tmp/port"
port=$(cat "$tmp/port")
url=http://127.0.0.1:$port

for d in "$disk" "$shm"; do
	"$prov" phone init --state "$d" --mac 00:11:22:33:44:55 >/dev/null
	"$prov" phone set --state "$d" \
		"Profile_Rule=[--key $key] $url/p1.cfg" \
		"Profile_Rule_B=[--key $key] $url/p2.cfg" \
		"Profile_Rule_C=[--key $key] $url/p3.cfg" \
		"Profile_Rule_D=[--key $key] $url/p4.cfg"
done

# ---- what both do, checked before anything is timed ------------------------

peer="for p in p1 p2 p3 p4; do curl -sf $url/\$p.cfg | openssl enc -d -aes-256-cbc -md md5 -k $key 2>/dev/null | gunzip > /dev/null; done"
for p in p1 p2 p3 p4; do
	curl -sf "$url/$p.cfg" | openssl enc -d -aes-256-cbc -md md5 -k "$key" 2>/dev/null |
		gunzip >"$tmp/$p.peer"
	cmp "$tmp/$p.peer" "$tmp/www/$p.xml"
done
echo "# peer outputs identical to the four profiles"

# The first resync applies everything; the second is the steady state
# that is timed. Every rule must succeed and no value be rejected.
for d in "$disk" "$shm"; do
	"$prov" phone resync --state "$d" >"$tmp/first.txt"
	"$prov" phone resync --state "$d" >"$tmp/second.txt"
	if [ "$(grep -c ': ok, ' "$tmp/first.txt")" != 4 ] || grep -q rejected "$tmp/first.txt" ||
	   ! grep -qx 'resync: ok' "$tmp/second.txt"; then
		echo "resync.sh: prov's resync did not apply the four profiles cleanly:" >&2
		cat "$tmp/first.txt" "$tmp/second.txt" >&2
		exit 1
	fi
done
echo "# prov, first resync:"
sed 's/^/#   /' "$tmp/first.txt"
echo "# prov, steady state (timed):"
sed 's/^/#   /' "$tmp/second.txt"
echo "# unknown names remembered: $("$prov" phone unknown --state "$disk" | wc -l)"

# ---- wall time --------------------------------------------------------------
#
# One hyperfine invocation runs the commands in $blocks rounds of $runs
# runs each (names "peer #1", "prov (disk) #1", ..., "peer #2", ...), and
# the table pools each command's rounds: on a shared VM a slow spell then
# falls on every command, not on whichever was running. All as
# `sh -c '...'` with hyperfine -N: the peer needs a shell, and hyperfine's
# subtraction of its own shell is not reliable for commands this short.
# One shell start is in every row.
echo
set --
for b in $(seq "$blocks"); do
	set -- "$@" \
		-n "peer #$b" "sh -c '$peer'" \
		-n "prov (disk) #$b" "sh -c '$prov phone resync --state $disk > /dev/null'" \
		-n "prov (tmpfs) #$b" "sh -c '$prov phone resync --state $shm > /dev/null'" \
		-n "start: curl+openssl+gunzip #$b" \
		"sh -c 'curl --version >/dev/null; openssl version >/dev/null; gunzip --version >/dev/null'" \
		-n "start: prov #$b" "sh -c '$prov --version >/dev/null'"
done
hyperfine --style basic -N --warmup 5 --runs "$runs" --export-json "$tmp/wall.json" "$@" \
	>"$tmp/wall.txt" 2>&1
set --

# ---- peak RSS ----------------------------------------------------------------

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
T="/usr/bin/time -f %M"
for _ in $(seq "$rss_runs"); do
	$T -o "$tmp/rss" "$prov" phone resync --state "$disk" >/dev/null
	cat "$tmp/rss" >>"$tmp/rss.prov"
	$T -o "$tmp/rss" "$prov" phone resync --state "$shm" >/dev/null
	cat "$tmp/rss" >>"$tmp/rss.shm"
	for p in p1 p2 p3 p4; do
		$T -o "$tmp/rss.c" curl -sf "$url/$p.cfg" |
			$T -o "$tmp/rss.o" openssl enc -d -aes-256-cbc -md md5 -k "$key" 2>/dev/null |
			$T -o "$tmp/rss.g" gunzip >/dev/null
		echo "$(cat "$tmp/rss.c") $(cat "$tmp/rss.o") $(cat "$tmp/rss.g")"
	done >"$tmp/rss.run"
	# largest single process; largest pipeline (the three at once)
	awk '{ for (k = 1; k <= 3; k++) { if ($k > m) m = $k; if ($k > c[k]) c[k] = $k }
	       if ($1 + $2 + $3 > s) s = $1 + $2 + $3 }
	     END { print m, s, c[1], c[2], c[3] }' "$tmp/rss.run" >>"$tmp/rss.peer"
done
rss_prov=$(median <"$tmp/rss.prov")
rss_shm=$(median <"$tmp/rss.shm")
rss_one=$(cut -d' ' -f1 "$tmp/rss.peer" | median)
rss_pipe=$(cut -d' ' -f2 "$tmp/rss.peer" | median)
rss_curl=$(cut -d' ' -f3 "$tmp/rss.peer" | median)
rss_openssl=$(cut -d' ' -f4 "$tmp/rss.peer" | median)
rss_gunzip=$(cut -d' ' -f5 "$tmp/rss.peer" | median)

# ---- the idle agent ------------------------------------------------------------

# status PID: "VmRSS RssAnon VmHWM" in KB (RssAnon: the private part,
# heap and stacks; the rest of VmRSS is the program's and libraries' pages)
status() {
	awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^VmHWM:/ { h = $2 }
	     END { print r, a, h }' "/proc/$1/status"
}
agent_rss() { # Resync_Random_Delay; waits for a resync when 0
	"$prov" phone set --state "$disk" "Resync_Random_Delay=$1"
	"$prov" phone run --state "$disk" 2>"$tmp/agent.log" &
	agent=$!
	if [ "$1" = 0 ]; then
		for _ in $(seq 100); do
			grep -q '^resync' "$tmp/agent.log" && break
			sleep 0.1
		done
		grep -qx 'resync: ok' "$tmp/agent.log" ||
			{ echo "resync.sh: the agent's resync failed:" >&2; cat "$tmp/agent.log" >&2; exit 1; }
	fi
	sleep 2
	if [ "$1" != 0 ] && grep -q '^resync' "$tmp/agent.log"; then
		echo "resync.sh: the agent resynced when it should not have" >&2
		exit 1
	fi
	status "$agent" >"$tmp/agent.rss"
	kill -TERM "$agent"
	wait "$agent"
	agent=
}
agent_rss 65535
read -r idle_rss idle_anon idle_hwm <"$tmp/agent.rss"
agent_rss 0
read -r after_rss after_anon after_hwm <"$tmp/agent.rss"

# ---- the table -------------------------------------------------------------------

echo
# name, mean, sd, median, min (ms) of every command, rounds pooled
jq -r '.results[] | .command as $c | .times[] | [($c | sub(" #[0-9]+$"; "")), . * 1e3] | @tsv' \
	"$tmp/wall.json" | sort -t"$(printf '\t')" -k1,1 -k2,2g |
	awk -F'\t' 'function out() { if (n) printf "%s\t%.3f\t%.3f\t%.3f\t%.3f\n", c, s / n,
					      sqrt((q - s * s / n) / (n - 1)), v[int((n + 1) / 2)], v[1] }
		    $1 != c { out(); c = $1; n = s = q = 0 }
		    { v[++n] = $2; s += $2; q += $2 * $2 }
		    END { out() }' >"$tmp/wall.tsv"
awk -F'\t' -v n=$((blocks * runs)) '
	{ mean[$1] = $2; sd[$1] = $3; med[$1] = $4; min[$1] = $5 }
	END {
		printf "%-28s %16s %8s %8s   (%d runs each)\n", "wall time, ms", "mean ± sd",
		       "median", "min", n
		split("peer|prov (disk)|prov (tmpfs)|start: curl+openssl+gunzip|start: prov", k, "|")
		for (i = 1; i <= 5; i++)
			printf "%-28s %7.2f ± %6.2f %8.2f %8.2f\n", k[i], mean[k[i]], sd[k[i]],
			       med[k[i]], min[k[i]]
		for (i = 2; i <= 3; i++)
			printf "peer / %-14s %5.2fx mean, %5.2fx median, %5.2fx min\n", k[i] ":",
			       mean["peer"] / mean[k[i]], med["peer"] / med[k[i]],
			       min["peer"] / min[k[i]]
	}' "$tmp/wall.tsv"
echo
printf '%-44s %8s\n' "peak RSS (median of $rss_runs, GNU time %M)" KB
printf '%-44s %8d\n' "prov phone resync (disk)" "$rss_prov" \
	"prov phone resync (tmpfs)" "$rss_shm" \
	"peer: curl" "$rss_curl" "peer: openssl enc -d" "$rss_openssl" "peer: gunzip" "$rss_gunzip" \
	"peer: largest single process" "$rss_one" \
	"peer: largest pipeline (curl+openssl+gunzip)" "$rss_pipe"
awk -v p="$rss_prov" -v s="$rss_pipe" -v o="$rss_one" 'BEGIN {
	printf "peer / prov: %.2fx (largest pipeline: what the peer holds at once)\n", s / p
	printf "peer largest process / prov: %.2fx\n", o / p }'
echo
printf '%-44s %8s %8s %8s\n' "idle agent (prov phone run, /proc after 2 s)" VmRSS RssAnon VmHWM
printf '%-44s %8d %8d %8d\n' "before any resync" "$idle_rss" "$idle_anon" "$idle_hwm" \
	"after its power-up resync of the four" "$after_rss" "$after_anon" "$after_hwm"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
