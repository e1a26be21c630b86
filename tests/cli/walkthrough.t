The operator's loop of docs/FEEDBACK.md, end to end (issue 14; server.md
S-SRV-4, S-DEV-3; device.md D-TRG-3, D-REP): a change in the inventory,
pushed to the phone by an authenticated SIP NOTIFY (`prov device
resync`), verified by the report the phone uploads after it applied the
change (`prov device drift`), and the whole story in `prov device
timeline`. The phone is a `prov phone run` agent with its SIP listener,
on a clock ten times faster.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ DB=$(prov_db serve)
  $ R=$PROV_TMP/root && mkdir -p $R
  $ SIP=$(prov_free_port)
  $ cat > desk.xml <<'X'
  > <flat-profile>
  > <Display_Name_1_>$NAME</Display_Name_1_>
  > <User_ID_1_>$MA</User_ID_1_>
  > <Password_1_>$SIPPASS</Password_1_>
  > <SIP_Port_1_>$SIPPORT</SIP_Port_1_>
  > <Resync_From_SIP>Yes</Resync_From_SIP>
  > <Resync_Periodic>86400</Resync_Periodic>
  > <Report_Rule>http://$SERVIP:$PORT/report/$MA.xml</Report_Rule>
  > <Report_To_Server>on local change</Report_To_Server>
  > </flat-profile>
  > X
  $ prov template set desk desk.xml --db $DB
  $ prov device add 00:0e:08:12:34:56 --db $DB --set NAME=reception --set SIPPASS=s3cret --set SIPPORT=$SIP
  $ prov_serve $R --route '/$MA.xml template=desk' --route '/report/$MA.xml report'
  $ H=$PROV_SERVE_HTTP

The phone boots, takes its profile and reports it:

  $ prov phone init --state ph --mac 00:0e:08:12:34:56
  $ prov phone set --state ph Resync_Random_Delay=0 "Profile_Rule=http://127.0.0.1:$H/\$MA.xml"
  $ prov phone run --state ph --time-scale 10 --sip 127.0.0.1:$SIP > ph.out 2> ph.err & agent=$!
  $ drift() { # wait until the device's drift count is $1
  >   local i; for i in $(seq 600); do
  >     [ "$(prov device list --db $DB | awk '{print $NF}')" = "$1" ] && return; sleep 0.05
  >   done; echo "timeout"; prov device list --db $DB; cat ph.err
  > }
  $ drift 0
  $ prov device list --db $DB
  000e08123456 - - - enabled drift 0

The change: the desk is renamed. The phone does not have it yet:

  $ prov var set --device 000e08123456 NAME=front-desk --db $DB
  $ prov device drift 000e08123456 --db $DB | tail -n +2
  Display_Name_1_: server "front-desk", device "reception"

The push: the phone challenges the NOTIFY, the push answers with line 1's
credentials as the server renders them, and the phone resyncs:

  $ prov device resync 000e08123456 --db $DB --wait 30 | sed -E "s/:$SIP /:SIP /"
  000e08123456 127.0.0.1:SIP accepted (challenged, 200 OK)
  1 device: 1 sent, 1 challenged, 1 accepted, 0 refused, 0 no answer, 0 not sent
  000e08123456 resynced: GET /000e08123456.xml 200

Verified by report: the phone applied the change and reported it, and
nothing differs:

  $ drift 0
  $ prov device drift 000e08123456 --db $DB | sed -E 's/of [0-9TZ:.-]+ \(http, [0-9]+ /of TIME (http, N /'
  000e08123456: report of TIME (http, N parameters), template desk: 0 differ
  $ prov phone get --state ph Display_Name_1_
  Display_Name_1_=front-desk

The story: the device's first request and report are followed by the
change, the push, the resync and the report that proved it (the report's
own POST is in the history too, once the server has written it: left
out here; the password never appears anywhere):

  $ prov device timeline 000e08123456 --db $DB | cut -d' ' -f2- | grep -v -e '^syslog' -e 'POST /report/' | sed -E "s/:$SIP\b/:SIP/; s/ from 127\.0\.0\.1:[0-9]+/ from CLIENT/; s/ [0-9]+ B / N B /; s/[0-9]+ parameters/N parameters/" | sed -n '/NAME set/,$p'
  change         var device 000e08123456 NAME set
  push           NOTIFY check-sync to 127.0.0.1:SIP: accepted (challenged, 200 OK)
  request        http GET /000e08123456.xml 200 N B from CLIENT "Cisco-CP-8841-3PCC/11.3.1 (000e08123456)"
  report         http N parameters from CLIENT
  $ prov device timeline 000e08123456 --db $DB --json | grep -c s3cret
  0
  [1]

  $ kill -TERM $agent; wait $agent
