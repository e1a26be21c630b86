The provisioning server learned from a real DHCP server: dnsmasq answers
the agent's DHCPINFORM (RFC 2131 4.4.3) across a veth pair between two
network namespaces this test creates (nothing touches the host's own
interfaces), and the hostless resync then fetches from `prov serve` in
dnsmasq's namespace. Needs root and `ip netns` (with `ip netns exec`
able to remount, which a chroot is not); skipped otherwise.
Spec: device.md D-ONB-1, D-RUL-4; interfaces.md (prov phone run).

  $ [ "$(id -u)" = 0 ] && command -v ip dnsmasq > /dev/null || exit 80
  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ S=prov-dhcp-s-$$ C=prov-dhcp-c-$$
  $ cleanup() { # everything left in the two namespaces, then the namespaces
  >   prov_servers_stop; local n
  >   for n in $S $C; do ip netns pids $n 2> /dev/null | xargs -r kill -KILL; ip netns del $n 2> /dev/null; done
  > }
  $ trap cleanup EXIT
  $ ip netns add $S 2> /dev/null && ip netns add $C || exit 80

`ip netns exec` remounts /sys for the namespace, which a chroot (a fresh
debootstrap root) does not allow: skipped there too.

  $ ip netns exec $S true 2> /dev/null || exit 80
  $ ip link add vA netns $S type veth peer name vB netns $C
  $ ip -n $S addr add 10.77.0.1/24 dev vA && ip -n $S link set vA up
  $ ip -n $C addr add 10.77.0.2/24 dev vB && ip -n $C link set vB up
  $ in_c() { ip netns exec $C "$@"; }

The server side, in namespace S: `prov serve` with TFTP on the standard
port 69 (the namespace's own) and HTTP on an ephemeral one.

  $ mkdir www
  $ printf '<flat-profile><GPP_A>from dhcp</GPP_A></flat-profile>\n' > www/8841.xml
  $ _prov_spawn serve.log ip netns exec $S prov serve --root "$PWD/www" --db "sqlite:$PROV_TMP/serve.db" \
  >   --user root --tftp 10.77.0.1:69 --http 10.77.0.1:0 --log-level notice
  $ for i in $(seq 100); do grep -qs ' ready: ' serve.log && break; sleep 0.05; done
  $ HTTP=$(sed -n 's/.*listening: http [^ ]*:\([0-9]*\)$/\1/p' serve.log)
  $ grep -c 'listening: tftp 10.77.0.1:69$' serve.log
  1
  $ ports() { sed -E "s/:$HTTP\//:\$HTTP\//g"; }

dnsmasq, DHCP only (--port=0: no DNS), on vA: option 66 (TFTP server
name), 150 (TFTP server address, binary), 160 (provisioning URL), 43
(vendor sub-option 1 = an HTTP URL, as hex) and 125 (enterprise 9,
sub-option 1 = the server name and port).

  $ hex() { printf %s "$1" | od -An -tx1 | tr -s ' \n' '::' | sed 's/^://; s/:$//'; }
  $ u43="http://10.77.0.1:$HTTP"; o43=$(printf '01:%02x:%s' ${#u43} "$(hex "$u43")")
  $ _prov_spawn dnsmasq.log ip netns exec $S dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
  >   --interface=vA --bind-interfaces --dhcp-range=10.77.0.0,static --leasefile-ro \
  >   --pid-file="$PROV_TMP/dnsmasq.pid" --log-dhcp --log-facility=- \
  >   --dhcp-option=66,10.77.0.1 --dhcp-option=150,10.77.0.1 \
  >   --dhcp-option=160,http://10.77.0.1:$HTTP/cisco/ --dhcp-option=43,$o43 \
  >   --dhcp-option='vi-encap:9,1,10.77.0.1:69'
  $ DNSMASQ=$_PROV_PID
  $ for i in $(seq 100); do grep -qs 'bound exclusively to interface vA' dnsmasq.log && break; sleep 0.05; done

The phone, in namespace C: a new device (Profile_Rule "/$PSN.xml", no
host), nothing known, so no server.

  $ prov phone init --state ph --mac 00:0e:08:00:00:99
  $ in_c prov phone resync --state ph
  resync failed: no server: the rule names none and none is known yet
  [1]

DHCPINFORM on vB: dnsmasq answers, the options are stored and printed.

  $ in_c prov phone dhcp --state ph --iface vB | ports \
  >   | sed -E 's/^(dhcp_learned +).*/\1DATE/; s/^(dhcp_option_43 +).*/\1HEX/; s/^(dhcp_option_125 +).*/\1HEX/'
  dhcp_option_66       10.77.0.1
  dhcp_option_150      10.77.0.1
  dhcp_option_160      http://10.77.0.1:$HTTP/cisco/
  dhcp_option_43       HEX
  dhcp_option_125      HEX
  dhcp_learned         DATE
  dhcp_source          DHCPINFORM on vB from 10.77.0.1
  $ prov phone dhcp --state ph | grep -c "dhcp_option_43 *$o43$"
  1
  $ prov phone dhcp --state ph | grep dhcp_option_125
  dhcp_option_125      00:00:00:09:0e:01:0c:31:30:2e:37:37:2e:30:2e:31:3a:36:39
  $ grep -c 'DHCPINFORM(vA) 10.77.0.2 ' dnsmasq.log
  1
  $ grep -c 'DHCPACK(vA) 10.77.0.2 ' dnsmasq.log
  1

The hostless resync in the default order (66 first: TFTP on port 69).

  $ resync() { in_c prov phone resync --state "$1" 2>&1 | ports; }
  $ resync ph
  rule A: tftp://10.77.0.1:69/8841.xml: ok, 54 bytes, 1 changed
  resync: ok
  $ prov phone get --state ph GPP_A
  GPP_A=from dhcp

Each option alone, on a new device each (no last server to fall back on):
160 and 43 carry HTTP URLs, 150, 125 and 66 name the TFTP server. Option 60
names no server.

  $ i=0
  $ for o in 160 150 43 125 66 60; do
  >   i=$((i + 1)); prov phone init --state d$o --mac 00:0e:08:00:01:0$i
  >   prov phone set --state d$o DHCP_Option_To_Use=$o
  >   in_c prov phone dhcp --state d$o --iface vB > /dev/null
  >   echo "only $o:"; resync d$o
  > done
  only 160:
  rule A: http://10.77.0.1:$HTTP/8841.xml: ok, 54 bytes, 1 changed
  resync: ok
  only 150:
  rule A: tftp://10.77.0.1:69/8841.xml: ok, 54 bytes, 1 changed
  resync: ok
  only 43:
  rule A: http://10.77.0.1:$HTTP/8841.xml: ok, 54 bytes, 1 changed
  resync: ok
  only 125:
  rule A: tftp://10.77.0.1:69/8841.xml: ok, 54 bytes, 1 changed
  resync: ok
  only 66:
  rule A: tftp://10.77.0.1:69/8841.xml: ok, 54 bytes, 1 changed
  resync: ok
  only 60:
  resync failed: no server: the rule names none and none is known yet

With only option 60, a device that has fetched before uses the server of
its last successful fetch.

  $ prov phone set --state ph DHCP_Option_To_Use=60
  $ resync ph
  rule A: tftp://10.77.0.1:69/8841.xml: ok, 54 bytes, 0 changed
  resync: ok

The agent learns the options itself before its power-up resync.

  $ prov phone init --state ag --mac 00:0e:08:00:00:9a
  $ prov phone set --state ag Resync_Random_Delay=0 DHCP_Option_To_Use=160,66
  $ ip netns exec $C prov phone run --state ag --dhcp-inform vB 2> ag.err & pid=$!
  $ for i in $(seq 100); do grep -qs '^resync' ag.err && break; sleep 0.1; done
  $ kill -TERM $pid; wait $pid
  $ ports < ag.err | grep -v -e booting -e 'next:'
  prov: phone run: DHCP options from DHCPINFORM on vB from 10.77.0.1
  rule A: http://10.77.0.1:$HTTP/8841.xml: ok, 54 bytes, 1 changed
  resync: ok
  prov: phone run: stopping
  $ grep -c 'DHCPINFORM(vA) 10.77.0.2 ' dnsmasq.log
  8

No DHCP server: three DHCPINFORMs go unanswered, the command fails and
what was learned before stays.

  $ kill -TERM $DNSMASQ; wait $DNSMASQ 2> /dev/null
  $ in_c prov phone dhcp --state ph --iface vB | ports | grep -c option
  prov: phone dhcp: no DHCPACK on vB after 3 DHCPINFORMs
  5
  $ in_c prov phone dhcp --state ph --iface nosuch0 > /dev/null
  prov: phone dhcp: interface nosuch0: No such device
  [1]

Not root: the DHCPINFORM cannot bind its port, and says why.

  $ prov phone init --state nr --mac 00:0e:08:00:00:9b && chmod o+x .. . && chmod -R a+rwX nr
  $ in_c setpriv --reuid=65534 --regid=65534 --clear-groups prov phone dhcp --state nr --iface vB
  prov: phone dhcp: port 68: Permission denied (DHCPINFORM needs root)
  [1]
