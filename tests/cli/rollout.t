Staged firmware rollout (issue 14 part 4; device.md D-UPG-1, D-LOG-2;
server/rollout.h): `prov firmware add` puts an image in the server's tree,
`prov rollout start` offers it to a canary share of a group through
$UPGRADE_RULE, and the server widens to the whole group when the canary
upgraded (the phones' syslog and User-Agents in its history), or halts and
stops offering it when too many failed. The phones are `prov phone`
devices resyncing from `prov serve`.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ DB=$(prov_db serve)
  $ R=$PROV_TMP/root && mkdir -p $R && chmod 755 $PROV_TMP $R

Images (upgrade.h's header); the 12-1-1 one is corrupt (a wrong digest):

  $ mkimage() { # VERSION FILE [bad]
  >   local sum; sum=$(sha256sum "$2" | cut -d' ' -f1)
  >   [ -n "$3" ] && sum=$(printf '%s' "$sum" | tr 0-9a-f 1-9a-f0)
  >   printf 'PROVIMG1 version=%s size=%s sha256=%s\n' "$1" "$(stat -c %s "$2")" "$sum"; cat "$2"
  > }
  $ head -c 100000 /dev/urandom > payload
  $ mkimage sip88xx.12-0-1MPP-1 payload > good.img
  $ mkimage sip88xx.12-1-1MPP-1 payload bad > bad.img
  $ prov firmware add good.img --version sip88xx.12-0-1MPP-1 --root $R --db $DB | cut -d' ' -f1-4
  sip88xx.12-0-1MPP-1 /firmware/sip88xx.12-0-1MPP-1.loads 100121 bytes
  $ prov firmware add bad.img --version sip88xx.12-1-1MPP-1 --root $R --db $DB | cut -d' ' -f1-4
  sip88xx.12-1-1MPP-1 /firmware/sip88xx.12-1-1MPP-1.loads 100121 bytes
  $ prov firmware add good.img --version sip88xx.99 --root $R --db $DB
  prov: firmware add: good.img: its PROVIMG1 header does not say version=sip88xx.99
  [2]
  $ prov firmware list --db $DB | cut -d' ' -f1-3
  sip88xx.12-0-1MPP-1 /firmware/sip88xx.12-0-1MPP-1.loads 100121
  sip88xx.12-1-1MPP-1 /firmware/sip88xx.12-1-1MPP-1.loads 100121

An inventory no server has opened yet has no history to read; a rollout
without a canary (0%) offers the image to the whole group at once:

  $ D2=$(prov_db other) && mkdir $PROV_TMP/r2
  $ prov device add 0011223344f1 --group g --db $D2
  $ prov firmware add good.img --version sip88xx.12-0-1MPP-1 --root $PROV_TMP/r2 --db $D2 | cut -d' ' -f1-2
  sip88xx.12-0-1MPP-1 /firmware/sip88xx.12-0-1MPP-1.loads
  $ prov rollout start sip88xx.12-0-1MPP-1 --group g --canary 0% --db $D2
  rollout 1: sip88xx.12-0-1MPP-1 to group g: widened, canary 0 of 1 devices
  $ prov rollout status --db $D2 --devices | sed -n '1p;$p'
  rollout 1: sip88xx.12-0-1MPP-1 to group g: widened (started)
  0011223344f1 not offered

`prov device render` is not a request: the URL keeps the server's names
as written, and the device is not marked offered:

  $ printf '<flat-profile><Upgrade_Rule>$UPGRADE_RULE</Upgrade_Rule></flat-profile>\n' > u.xml
  $ prov template set u u.xml --db $D2
  $ prov device render 0011223344f1 /x --template u --db $D2
  <flat-profile><Upgrade_Rule>$SCHEME://$SERVIP:$PORT/firmware/sip88xx.12-0-1MPP-1.loads</Upgrade_Rule></flat-profile>
  $ prov rollout status --db $D2 | grep offered
  offered      0
  not offered  1

Served with Range like any static file:

  $ prov var set TPL=t --db $DB
  $ prov_serve $R --route '/$MA.xml template=$TPL'
  $ H=$PROV_SERVE_HTTP
  $ curl -s -r 0-7 http://127.0.0.1:$H/firmware/sip88xx.12-0-1MPP-1.loads; echo
  PROVIMG1
  $ curl -s -o /dev/null -w '%{http_code}\n' -r 10-19 http://127.0.0.1:$H/firmware/sip88xx.12-0-1MPP-1.loads
  206

The template offers what the rollout says, and sends syslog to the server:

  $ cat > t.xml <<X
  > <flat-profile>
  > <Syslog_Server>\$SYSLOG</Syslog_Server>
  > <Upgrade_Rule>\$UPGRADE_RULE</Upgrade_Rule>
  > <Upgrade_Error_Retry_Delay>3600</Upgrade_Error_Retry_Delay>
  > </flat-profile>
  > X
  $ prov template set t t.xml --db $DB
  $ prov var set SYSLOG=127.0.0.1:$PROV_SERVE_SYSLOG --db $DB
  $ for n in 1 2 3 4; do
  >   prov device add 0011223344c$n --group lab --db $DB
  >   prov device add 0011223344d$n --group risky --db $DB
  >   prov phone init --state c$n --mac 00:11:22:33:44:c$n --swver sip88xx.11-3-1MPP-123
  >   prov phone init --state d$n --mac 00:11:22:33:44:d$n --swver sip88xx.11-3-1MPP-123
  > done
  $ resync() { # STATE MAC
  >   prov phone resync --state $1 http://127.0.0.1:$H/$2.xml 2>&1 | sed -E -e "s/:$H\//:\$H\//g" -e 's/ok, [0-9]+ bytes/ok, N bytes/' -e 's/, [0-9]+ changed//'
  > }
  $ await() { # PATTERN: until prov rollout status shows it (the history commits in batches)
  >   for i in $(seq 200); do prov rollout status --db $DB --devices | grep -q -- "$1" && break; sleep 0.1; done
  >   prov rollout status --db $DB --devices
  > }
  $ state() { await ": $1 "; }

No rollout: nothing is offered.

  $ prov rollout status --db $DB
  prov: rollout status: no rollout (start one with 'prov rollout start')
  [1]
  $ prov device render 0011223344c1 /0011223344c1.xml --template t --db $DB | grep Upgrade_Rule
  <Upgrade_Rule></Upgrade_Rule>

The halt path: a corrupt image to group risky, half of it the canary,
halted on the first failure (more than 0%):

  $ prov rollout start sip88xx.12-1-1MPP-1 --group risky --canary 50% --halt-on 0% --db $DB
  rollout 1: sip88xx.12-1-1MPP-1 to group risky: canary, canary 2 of 4 devices
  canary 0011223344d3
  canary 0011223344d4
  $ prov rollout start sip88xx.12-0-1MPP-1 --group lab --db $DB
  prov: rollout start: rollout 1 of sip88xx.12-1-1MPP-1 to group risky is canary: stop it first
  [1]

A device outside the canary is not offered the image; a canary device is,
and the image fails its verification:

  $ resync d2 0011223344d2
  rule X: http://127.0.0.1:$H/0011223344d2.xml: ok, N bytes
  resync: ok
  $ resync d3 0011223344d3
  rule X: http://127.0.0.1:$H/0011223344d3.xml: ok, N bytes
  resync: ok
  $ prov phone status --state d3 | grep -E '^(SWVER|upgrade_last_result|upgrade_last_err)'
  SWVER                sip88xx.11-3-1MPP-123
  upgrade_last_result  failure
  upgrade_last_err     sha256 mismatch
  $ state halted
  rollout 1: sip88xx.12-1-1MPP-1 to group risky: halted (1 of 2 canary devices failed (over 0%))
  canary 50% (2 of 4 devices), halt on failures over 0%
  offered      0
  upgrading    0
  done         0
  failed       1
  not offered  3
  0011223344d1 not offered
  0011223344d2 not offered
  0011223344d3 failed canary
  0011223344d4 not offered canary

Halted: the image is offered to nobody, not even the canary device that
had not fetched it yet:

  $ resync d4 0011223344d4
  rule X: http://127.0.0.1:$H/0011223344d4.xml: ok, N bytes
  resync: ok
  $ prov phone status --state d4 | grep -E '^SWVER'
  SWVER                sip88xx.11-3-1MPP-123
  $ curl -s http://127.0.0.1:$H/0011223344d4.xml | grep Upgrade_Rule
  <Upgrade_Rule></Upgrade_Rule>

The clean run: a good image to group lab, a quarter as the canary:

  $ prov rollout start sip88xx.12-0-1MPP-1 --group lab --canary 25% --halt-on 25% --db $DB
  rollout 2: sip88xx.12-0-1MPP-1 to group lab: canary, canary 1 of 4 devices
  canary 0011223344c3
  $ resync c1 0011223344c1
  rule X: http://127.0.0.1:$H/0011223344c1.xml: ok, N bytes
  resync: ok
  $ resync c3 0011223344c3
  rule X: http://127.0.0.1:$H/0011223344c3.xml: ok, N bytes
  resync: ok
  upgrade: installed sip88xx.12-0-1MPP-1, rebooting
  $ state widened
  rollout 2: sip88xx.12-0-1MPP-1 to group lab: widened (canary: 1 of 1 done)
  canary 25% (1 of 4 devices), halt on failures over 25%
  offered      0
  upgrading    0
  done         1
  failed       0
  not offered  3
  0011223344c1 not offered
  0011223344c2 not offered
  0011223344c3 done canary
  0011223344c4 not offered

Widened: the rest of the group gets the image on its next resync. Device
c4 sends no syslog: its upgrade is seen in the User-Agent of its next
request (12.0.1, the phone's $VERSION of sip88xx.12-0-1MPP-1):

  $ prov device set 0011223344c4 --set SYSLOG= --db $DB
  $ for n in 1 2 4; do resync c$n 0011223344c$n | grep upgrade; done
  upgrade: installed sip88xx.12-0-1MPP-1, rebooting
  upgrade: installed sip88xx.12-0-1MPP-1, rebooting
  upgrade: installed sip88xx.12-0-1MPP-1, rebooting
  $ await 'done         3' | grep -E '^(done|offered)|c4'
  offered      1
  done         3
  0011223344c4 offered
  $ resync c4 0011223344c4
  rule X: http://127.0.0.1:$H/0011223344c4.xml: ok, N bytes
  resync: ok
  $ state complete
  rollout 2: sip88xx.12-0-1MPP-1 to group lab: complete (4 of 4 done)
  canary 25% (1 of 4 devices), halt on failures over 25%
  offered      0
  upgrading    0
  done         4
  failed       0
  not offered  0
  0011223344c1 done
  0011223344c2 done
  0011223344c3 done canary
  0011223344c4 done
  $ prov rollout status --json --db $DB | sed -E 's/"(started|changed)_ms":[0-9]+/"\1_ms":T/g'
  {"id":2,"version":"sip88xx.12-0-1MPP-1","group":"lab","state":"complete","why":"4 of 4 done","canary_pct":25,"halt_pct":25,"devices":4,"canary":1,"started_ms":T,"changed_ms":T,"counts":{"offered":0,"upgrading":0,"done":4,"failed":0,"not_offered":0}}
  $ prov phone status --state c2 | grep -E '^SWVER'
  SWVER                sip88xx.12-0-1MPP-1

Stop:

  $ prov rollout stop --db $DB
  $ prov rollout status --db $DB | head -1
  rollout 2: sip88xx.12-0-1MPP-1 to group lab: stopped (stopped by the operator)
  $ prov rollout stop --db $DB
  prov: rollout stop: no active rollout
  [1]

Bad usage:

  $ prov rollout start sip88xx.12-0-1MPP-1 --db $DB
  prov: rollout start: --group G is required (see 'prov rollout start --help')
  [2]
  $ prov rollout start sip88xx.12-0-1MPP-1 --group lab --canary 120% --db $DB
  prov: rollout start: --canary: '120%' is not a percentage 0..100 (see 'prov rollout start --help')
  [2]
  $ prov rollout start sip88xx.13 --group lab --db $DB
  prov: rollout start: no firmware sip88xx.13 (add it with 'prov firmware add')
  [1]
  $ prov firmware add good.img --version '../x' --root $R --db $DB
  prov: firmware add: --version: give V (letters, digits, '.', '-', '_'; at most 64) (see 'prov firmware add --help')
  [2]

Pushing a rollout to running agents: group fleet, two `prov phone run`
agents with their SIP listener, served the template their variable TPL
names. `prov device resync` makes them resync now (the template named like
their product sets line 1 and the SIP port); the
canary upgrades, the rollout widens, a second push upgrades the rest:

  $ cat > fleet.xml <<X
  > <flat-profile>
  > <Syslog_Server>127.0.0.1:$PROV_SERVE_SYSLOG</Syslog_Server>
  > <Upgrade_Rule>\$UPGRADE_RULE</Upgrade_Rule>
  > <User_ID_1_>\$USER</User_ID_1_>
  > <Password_1_>\$PASS</Password_1_>
  > <SIP_Port_1_>\$SIPPORT</SIP_Port_1_>
  > <Resync_From_SIP>Yes</Resync_From_SIP>
  > <Resync_On_Reset>No</Resync_On_Reset>
  > </flat-profile>
  > X
  $ prov template set FLEET fleet.xml --db $DB
  $ pids=
  $ for n in 1 2; do
  >   port=$(prov_free_port)
  >   prov device add 0011223344e$n --group fleet --product FLEET --db $DB --set USER=200$n --set PASS=fp$n --set SIPPORT=$port --set TPL=FLEET
  >   prov phone init --state e$n --mac 00:11:22:33:44:e$n --swver sip88xx.11-3-1MPP-123
  >   prov phone set --state e$n Profile_Rule=http://127.0.0.1:$H/0011223344e$n.xml
  >   prov phone resync --state e$n > /dev/null
  >   prov phone run --state e$n --sip 127.0.0.1:$port 2> e$n.log & pids="$pids $!"
  > done
  $ for i in $(seq 200); do grep -qs 'SIP on port' e1.log && grep -qs 'SIP on port' e2.log && break; sleep 0.05; done
  $ for i in $(seq 200); do prov log --db $DB --mac 0011223344e1 | grep -q . && prov log --db $DB --mac 0011223344e2 | grep -q . && break; sleep 0.05; done
  $ prov rollout start sip88xx.12-0-1MPP-1 --group fleet --canary 50% --halt-on 0% --db $DB
  rollout 3: sip88xx.12-0-1MPP-1 to group fleet: canary, canary 1 of 2 devices
  canary 0011223344e2
  $ prov device resync --group fleet --db $DB --wait 30 | sed -E 's/127\.0\.0\.1:[0-9]+/ADDR/'
  0011223344e1 ADDR accepted (challenged, 200 OK)
  0011223344e2 ADDR accepted (challenged, 200 OK)
  2 devices: 2 sent, 2 challenged, 2 accepted, 0 refused, 0 no answer, 0 not sent
  0011223344e1 resynced: GET /0011223344e1.xml 200
  0011223344e2 resynced: GET /0011223344e2.xml 200
  $ await ': widened ' | grep -E '^rollout|e[12]'
  rollout 3: sip88xx.12-0-1MPP-1 to group fleet: widened (canary: 1 of 1 done)
  0011223344e1 not offered
  0011223344e2 done canary
  $ prov device resync --group fleet --db $DB > /dev/null
  $ await ': complete ' | grep -E '^rollout|e[12]'
  rollout 3: sip88xx.12-0-1MPP-1 to group fleet: complete (2 of 2 done)
  0011223344e1 done
  0011223344e2 done canary
  $ for n in 1 2; do prov phone status --state e$n | grep -E '^SWVER'; done
  SWVER                sip88xx.12-0-1MPP-1
  SWVER                sip88xx.12-0-1MPP-1
  $ kill $pids; wait $pids 2>/dev/null; true
