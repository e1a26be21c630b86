The provisioning server from DHCP options given on the command line
(`prov phone dhcp --dhcp-option`, `prov phone run --dhcp-option`), against
`prov serve` (TFTP and HTTP) and nginx on loopback. A rule URL without a
host takes its server from the options in the order of DHCP_Option_To_Use.
The same learned from a real DHCP server (dnsmasq) by DHCPINFORM, in
network namespaces, is tests/cli/dhcp_netns.t.
Spec: device.md D-ONB-1, D-RUL-4; interfaces.md (prov phone run
--dhcp-option).

Option 66 names a host only; this tool also takes HOST:PORT (and a URL) in
it, so that servers on ephemeral ports can be named. Option 160/159 is a
URL whose scheme, host and port are used.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ mkdir www
  $ printf '<flat-profile><GPP_A>dhcp</GPP_A></flat-profile>\n' > www/8841.xml
  $ prov_serve "$PWD/www"
  $ TFTP=$PROV_SERVE_TFTP HTTP=$PROV_SERVE_HTTP
  $ prov_nginx www > nginx.port && NGINX=$(cat nginx.port)
  $ ports() { sed -E -e "s/:$TFTP\//:\$TFTP\//g" -e "s/:$HTTP\//:\$HTTP\//g" \
  >   -e "s/:$NGINX\//:\$NGINX\//g" -e "s/:$TFTP$/:\$TFTP/" -e "s/:$HTTP$/:\$HTTP/"; }
  $ resync() { prov phone resync --state ph "$@" 2>&1 | ports; return "${PIPESTATUS[0]}"; }
  $ dhcp() { prov phone dhcp --state ph "$@" 2>&1 | ports \
  >   | sed -E 's/^(dhcp_learned +)[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$/\1DATE/'
  >   return "${PIPESTATUS[0]}"; }

A new device: Profile_Rule is the factory "/$PSN.xml", which names no
host; nothing is known yet, so the resync has no server.

  $ prov phone init --state ph --mac 00:0e:08:00:00:66
  $ prov phone get --state ph Profile_Rule DHCP_Option_To_Use
  Profile_Rule=/$PSN.xml
  DHCP_Option_To_Use=66,160,159,150,60,43,125
  $ resync
  resync failed: no server: the rule names none and none is known yet
  [1]
  $ dhcp

Option 66, TFTP server name, with a port: the rule (no scheme: TFTP) goes
to prov serve's TFTP port.

  $ dhcp --dhcp-option 66=127.0.0.1:$TFTP
  dhcp_option_66       127.0.0.1:$TFTP
  dhcp_learned         DATE
  dhcp_source          command line
  $ resync
  rule A: tftp://127.0.0.1:$TFTP/8841.xml: ok, 49 bytes, 1 changed
  resync: ok
  $ prov phone get --state ph GPP_A
  GPP_A=dhcp
  $ prov phone status --state ph | ports | grep -E '^(rule_A|last_server|dhcp_source) '
  rule_A               tftp://127.0.0.1:$TFTP/8841.xml ok 49 bytes, 1 changed
  last_server          127.0.0.1
  dhcp_source          command line

Option 160, a provisioning URL: its scheme, host and port, not its path.
Each `prov phone dhcp` replaces the whole set (option 66 is gone).

  $ dhcp --dhcp-option 160=http://127.0.0.1:$HTTP/not/this/path.xml
  dhcp_option_160      http://127.0.0.1:$HTTP/not/this/path.xml
  dhcp_learned         DATE
  dhcp_source          command line
  $ resync
  rule A: http://127.0.0.1:$HTTP/8841.xml: ok, 49 bytes, 0 changed
  resync: ok

Both: the first in DHCP_Option_To_Use wins (66 before 160 by default).

  $ dhcp --dhcp-option 66=127.0.0.1:$TFTP --dhcp-option=160=http://127.0.0.1:$NGINX/ > /dev/null
  $ resync
  rule A: tftp://127.0.0.1:$TFTP/8841.xml: ok, 49 bytes, 0 changed
  resync: ok
  $ prov phone set --state ph DHCP_Option_To_Use=160,66
  $ resync
  rule A: http://127.0.0.1:$NGINX/8841.xml: ok, 49 bytes, 0 changed
  resync: ok
  $ prov_nginx_sync $NGINX && grep -c 'GET /8841.xml ' "$PROV_TMP/nginx-$NGINX/access.log"
  1

A rule that names its scheme keeps it; the option's port goes with it only
when the option names no scheme or the same one.

  $ resync 'http:///8841.xml'
  rule X: http://127.0.0.1:$NGINX/8841.xml: ok, 49 bytes, 0 changed
  resync: ok
  $ prov phone set --state ph DHCP_Option_To_Use=66
  $ dhcp --dhcp-option 66=127.0.0.1:$HTTP > /dev/null
  $ resync 'http:///8841.xml'
  rule X: http://127.0.0.1:$HTTP/8841.xml: ok, 49 bytes, 0 changed
  resync: ok

A malformed option is passed over for the next one in the order.

  $ prov phone set --state ph DHCP_Option_To_Use=66,160
  $ dhcp --dhcp-option '66=bad!host' --dhcp-option 160=http://127.0.0.1:$NGINX/ > /dev/null
  $ resync
  rule A: http://127.0.0.1:$NGINX/8841.xml: ok, 49 bytes, 0 changed
  resync: ok

The vendor options, as hex: 43 with sub-option 1 = "127.0.0.1:$TFTP", 125
with that sub-option in the block of enterprise 9 (Cisco), after another
enterprise's block.

  $ hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
  $ s1=$(hex "127.0.0.1:$TFTP"); n1=$(( ${#s1} / 2 ))
  $ o43=$(printf '01%02x%s' $n1 "$s1")
  $ o125=$(printf '00000de9030101780000000%x%02x%s' 9 $(( n1 + 2 )) "$o43")
  $ prov phone set --state ph DHCP_Option_To_Use=43
  $ dhcp --dhcp-option 43=$o43 | sed -E "s/=?[0-9a-f:]{20,}/HEX/"
  dhcp_option_43       HEX
  dhcp_learned         DATE
  dhcp_source          command line
  $ resync
  rule A: tftp://127.0.0.1:$TFTP/8841.xml: ok, 49 bytes, 0 changed
  resync: ok
  $ prov phone set --state ph DHCP_Option_To_Use=125
  $ dhcp --dhcp-option 125=$o125 > /dev/null
  $ resync
  rule A: tftp://127.0.0.1:$TFTP/8841.xml: ok, 49 bytes, 0 changed
  resync: ok

The agent: `prov phone run --dhcp-option` stores the options before its
power-up resync.

  $ prov phone init --state ag --mac 00:0e:08:00:00:67
  $ prov phone set --state ag Resync_Random_Delay=0
  $ prov phone run --state ag --dhcp-option 160=http://127.0.0.1:$HTTP/ 2> ag.err & pid=$!
  $ for i in $(seq 100); do grep -qs '^resync' ag.err && break; sleep 0.1; done
  $ kill -TERM $pid; wait $pid
  $ ports < ag.err | grep -v -e booting -e 'next:'
  prov: phone run: DHCP options from command line
  rule A: http://127.0.0.1:$HTTP/8841.xml: ok, 49 bytes, 1 changed
  resync: ok
  prov: phone run: stopping
  $ prov phone dhcp --state ag | ports | grep option
  dhcp_option_160      http://127.0.0.1:$HTTP/

Bad usage: exit 2, one line.

  $ prov phone dhcp --state ph --dhcp-option 150=host
  prov: phone dhcp: --dhcp-option: option 150: expected IPv4 addresses separated by commas (see 'prov phone dhcp --help')
  [2]
  $ prov phone dhcp --state ph --dhcp-option 66
  prov: phone dhcp: --dhcp-option: expected N=VALUE, not '66' (see 'prov phone dhcp --help')
  [2]
  $ prov phone run --state ph --dhcp-option 300=x
  prov: phone run: --dhcp-option: option number must be 1..254 in '300=x' (see 'prov phone run --help')
  [2]
  $ prov phone run --state ph --dhcp-inform
  prov: phone run: --dhcp-inform needs a value (see 'prov phone run --help')
  [2]
  $ prov phone dhcp --state nowhere
  prov: phone dhcp: nowhere: no device here (create one with `prov phone init`)
  [2]
