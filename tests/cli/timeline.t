The device timeline (server.md S-DEV-3, S-SRV-4; interfaces.md "Feedback,
push, onboarding"): `prov device timeline MAC` joins, in time order, the
device's requests, its syslog messages, its reports and the inventory
changes that concern it. Two `prov phone run` agents resync from `prov
serve` and log to its syslog port (Syslog_Server); a disabled device's
resync fails and the failure is in its timeline. Attribution of syslog
messages: by a MAC the message names only when it is a device of the
inventory, else by the device's last known address; a 12-hex run that
is not a device is never taken.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ DB=$(prov_db serve)
  $ R=$PROV_TMP/root && mkdir -p $R
  $ cat > t.xml <<'X'
  > <flat-profile>
  > <Display_Name_1_>$NAME</Display_Name_1_>
  > <Report_Rule>http://$SERVIP:$PORT/report/$MA.xml</Report_Rule>
  > <Report_To_Server>On Local Change</Report_To_Server>
  > <Resync_Periodic>86400</Resync_Periodic>
  > </flat-profile>
  > X
  $ prov template set base t.xml --db $DB
  $ for n in 1 2; do prov device add 00:0e:08:00:00:0$n --db $DB --set NAME=phone-$n || break; done
  $ prov_serve $R --route '/$MA.xml template=base' --route '/report/$MA.xml report' --log-level info
  $ H=$PROV_SERVE_HTTP S=$PROV_SERVE_SYSLOG
  $ declare -A agent
  $ for n in 1 2; do
  >   prov phone init --state p$n --mac 00:0e:08:00:00:0$n &&
  >   prov phone set --state p$n Resync_Random_Delay=0 'Admin_Password=adm' \
  >     "Profile_Rule=http://127.0.0.1:$H/\$MA.xml" "Syslog_Server=127.0.0.1:$S" || break
  >   prov phone run --state p$n --time-scale 10 --admin 127.0.0.1:0 > p$n.out 2> p$n.err & agent[$n]=$!
  > done
  $ waitfor() { # N KIND MAC: wait until MAC's timeline has N events of KIND
  >   local i; for i in $(seq 400); do
  >     [ "$(prov device timeline $3 --db $DB | awk -v k="$2" '$2 == k' | wc -l)" -ge "$1" ] && return; sleep 0.05
  >   done; echo "timeout: $2"; prov device timeline $3 --db $DB; cat p*.err
  > }
  $ waitfor 1 report 000e08000001 && waitfor 1 report 000e08000002 && waitfor 2 request 000e08000002

Each device's timeline starts with the inventory's changes (names, never
values), then its power-up resync: the request, its syslog messages, and
the report of what it applied. Only its own events:

  $ prov device timeline 000e08000002 --db $DB | awk '$2 == "change"' | cut -d' ' -f2-
  change         template base add
  change         device add
  change         key 1 add
  change         var device 000e08000002 NAME add
  $ prov device timeline 000e08000002 --db $DB | grep -c 000e08000001
  0
  [1]
  $ prov device timeline 000e08000002 --db $DB | awk '$2 ~ /^resync-/ {print $2, $3, $4, $5, $6, $7}' | sed "s/:$H\//:H\//"
  resync-request 00:0e:08:00:00:02 -- Requesting resync http://127.0.0.1:H/000e08000002.xml
  resync-success 00:0e:08:00:00:02 -- Successful resync http://127.0.0.1:H/000e08000002.xml
  $ prov device timeline 000e08000002 --db $DB | grep -E ' (request|report) ' | awk '{print $2, $3, $4, $5, $6}'
  request http GET /000e08000002.xml 200
  request http POST /report/000e08000002.xml 204
  report http * parameters from (glob)

--since takes a time (UTC) or an age; events from then on. A change at
03:00 and what it did: the device is disabled, its resync (from its admin
page) fails, it is enabled again and resyncs:

  $ T=$(( $(date +%s) + 1 )); while [ "$(date +%s)" -lt $T ]; do sleep 0.05; done
  $ prov device set 000e08000002 --disable --db $DB
  $ PORT=$(sed -n 's/.*admin web on port //p' p2.err)
  $ curl -s --digest -u admin:adm -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT/admin/resync"
  200
  $ waitfor 1 resync-failure 000e08000002
  $ prov device set 000e08000002 --enable --db $DB
  $ curl -s --digest -u admin:adm -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT/admin/resync"
  200
  $ waitfor 2 resync-success 000e08000002
  $ prov device timeline 000e08000002 --db $DB --since @$T | awk '$2 == "change" || $2 == "resync-failure" {print $2, $3, $4}'
  change device set
  resync-failure 00:0e:08:00:00:02 --
  change device set
  $ prov device timeline 000e08000002 --db $DB --since @$T | grep -c 'GET /000e08000002.xml 404'
  1
  $ prov device timeline 000e08000002 --db $DB --since "$(date -u -d @$T +%Y-%m-%dT%H:%M:%SZ)" | wc -l > a
  $ prov device timeline 000e08000002 --db $DB --since @$T | wc -l | cmp - a
  $ [ "$(prov device timeline 000e08000002 --db $DB --since 1d | wc -l)" -gt "$(cat a)" ] && echo more in a day
  more in a day
  $ prov device timeline 000e08000002 --db $DB --since @$(( T + 86400 ))
  $ prov device timeline 000e08000002 --db $DB --since yesterday
  prov: device timeline: --since 'yesterday': not a date, time or age (2h, 2026-11-28T06:05Z) (see 'prov device timeline --help')
  [2]

JSON, one object per line:

  $ prov device timeline 000e08000002 --db $DB --json | python3 -c '
  > import json, sys
  > rows = [json.loads(l) for l in sys.stdin]
  > print(sorted({r["kind"] for r in rows}))
  > print(all(rows[i]["time_ms"] <= rows[i + 1]["time_ms"] for i in range(len(rows) - 1)))
  > print(sorted(k for k in rows[0]))'
  ['change', 'report', 'request', 'resync-failure', 'resync-request', 'resync-success', 'syslog']
  True
  ['action', 'kind', 'name', 'owner', 'scope', 'time', 'time_ms', 'what']
  $ prov device timeline 000e08000002 --db $DB | awk '$2 == "syslog" {print $3, $4, $5, $6}' | sort -u
  00:0e:08:00:00:02 -- Report sent:

  $ for n in 1 2; do kill -TERM ${agent[$n]}; done; for n in 1 2; do wait ${agent[$n]}; echo "exit $?"; done
  exit 0
  exit 0

Attribution. From an address no device has fetched from, a message
naming a 12-hex run that is not a device is nobody's; one naming that run
and a device is the device's; an upgrade message naming a device is in
its timeline. From the address device 1 last fetched from, a message
naming no device is device 1's:

  $ send() { python3 -c 'import socket, sys
  > s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 0))
  > s.sendto(sys.argv[3].encode(), ("127.0.0.1", int(sys.argv[2])))' "$@"; }
  $ send 127.0.0.9 $S '<14>token cafe00112233 accepted'
  $ send 127.0.0.9 $S '<14>token cafe00112233 for 00:0e:08:00:00:02 -- Resync failed: x'
  $ send 127.0.0.9 $S '<11>CP-8841-3PCC 00:0e:08:00:00:01 -- Upgrade failed: bad image'
  $ curl -s --interface 127.0.0.7 -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$H/000e08000001.xml
  200
  $ for i in $(seq 400); do [ "$(prov log --db $DB --client 127.0.0.7: | wc -l)" -ge 1 ] && break; sleep 0.05; done
  $ send 127.0.0.7 $S '<14>no device named here'
  $ send 127.0.0.9 $S '<14>last one'
  $ for i in $(seq 400); do [ "$(prov log --syslog --db $DB | grep -c 'last one')" -ge 1 ] && break; sleep 0.05; done
  $ prov log --syslog --db $DB --client 127.0.0. | grep -v '127.0.0.1:' | awk '{print $2, $4, $7, $8}' | sed 's/:[0-9]* / /'
  127.0.0.9 - token cafe00112233
  127.0.0.9 000e08000002 token cafe00112233
  127.0.0.9 000e08000001 CP-8841-3PCC 00:0e:08:00:00:01
  127.0.0.7 000e08000001 no device
  127.0.0.9 - last one
  $ prov log --syslog --db $DB --mac cafe00112233
  $ prov device timeline 000e08000001 --db $DB | awk '$2 == "upgrade" || /no device named/ {print $2, $3, $4, $5}'
  upgrade CP-8841-3PCC 00:0e:08:00:00:01 --
  syslog no device named
