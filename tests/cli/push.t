Resync push (issue 14 part 3; device.md D-TRG-3; interfaces.md "Feedback,
push, onboarding"): `prov device resync` sends SIP NOTIFY Event:
check-sync to phones at the address the server's history knows them by,
answers their digest challenge with line 1's credentials as the server
renders them, and watches the history for the resync that follows.
Phones: `prov phone run --sip`; an independent UAS: sipp.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ DB=$(prov_db serve)
  $ R=$PROV_TMP/root && mkdir -p $R && chmod 755 $PROV_TMP $R

The inventory: group lab, three devices; 0011223344a0 is an address that
takes datagrams and never answers.

  $ P0=$(prov_free_port) P1=$(prov_free_port) P2=$(prov_free_port)
  $ prov device add 0011223344a0 --group lab --db $DB --set USER=1000 --set PASS=pw0 --set SIPPORT=$P0
  $ prov device add 0011223344a1 --group lab --db $DB --set USER=1001 --set PASS=pw1 --set SIPPORT=$P1
  $ prov device add 0011223344a2 --group lab --db $DB --set USER=1002 --set PASS=pw2 --set SIPPORT=$P2
  $ prov var set MARK=first --db $DB
  $ cat > t.xml <<'X'
  > <flat-profile>
  > <User_ID_1_>$USER</User_ID_1_>
  > <Password_1_>$PASS</Password_1_>
  > <SIP_Port_1_>$SIPPORT</SIP_Port_1_>
  > <Resync_From_SIP>Yes</Resync_From_SIP>
  > <Resync_On_Reset>No</Resync_On_Reset>
  > <Profile_Rule>http://$SERVIP:$PORT/$MA.xml</Profile_Rule>
  > <GPP_A>$MARK</GPP_A>
  > </flat-profile>
  > X
  $ prov template set t t.xml --db $DB
  $ prov_serve $R --route '/$MA.xml template=t'
  $ H=$PROV_SERVE_HTTP

Two phones take their profile once (the server now knows their address),
then run their SIP listener on the port the profile gives them:

  $ for n in 1 2; do
  >   prov phone init --state ph$n --mac 00:11:22:33:44:a$n
  >   prov phone resync --state ph$n http://127.0.0.1:$H/0011223344a$n.xml > /dev/null
  > done
  $ prov phone run --state ph1 --sip 127.0.0.1:$P1 2> ph1.log & ph1=$!
  $ prov phone run --state ph2 --sip 127.0.0.1:$P2 2> ph2.log & ph2=$!
  $ python3 -c 'import socket,sys,time
  > s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
  > time.sleep(600)' $P0 & silent=$!
  $ curl -s -o /dev/null http://127.0.0.1:$H/0011223344a0.xml
  $ for i in $(seq 200); do grep -qs 'SIP on port' ph1.log && grep -qs 'SIP on port' ph2.log && ss -Hlun "sport = :$P0" | grep -q . && break; sleep 0.05; done
  $ for i in $(seq 200); do [ "$(prov log --db $DB --mac 0011223344a0 | wc -l)" = 1 ] && break; sleep 0.05; done

The operator changes a value, and device a2's password in the inventory no
longer matches the one its phone holds:

  $ prov var set MARK=second --db $DB
  $ prov device set 0011223344a2 --set PASS=changed --db $DB
  $ clean() { sed -E -e "s/127\.0\.0\.1:($P0|$P1|$P2)/ADDR:\1/" -e "s/:$P0\b/:P0/; s/:$P1\b/:P1/; s/:$P2\b/:P2/" -e 's/, [0-9]+ sends/, N sends/'; }

The push: a1 accepted, a2 refused (the phone answers 403 to the wrong
digest), a0 no answer after 64*T1 (T1 50 ms here); then a1's resync shows
in the history:

  $ prov device resync --group lab --route '/$MA.xml template=t' --db $DB --t1 50 --wait 30 | clean
  0011223344a0 ADDR:P0 no answer (silent for 3.2 s, N sends)
  0011223344a1 ADDR:P1 accepted (challenged, 200 OK)
  0011223344a2 ADDR:P2 refused (challenged, 403 Forbidden)
  3 devices: 3 sent, 2 challenged, 1 accepted, 1 refused, 1 no answer, 0 not sent
  0011223344a1 resynced: GET /0011223344a1.xml 200
  $ prov phone get --state ph1 GPP_A
  GPP_A=second

Each push is kept in the database (table push) for the device's timeline:

  $ prov_db_sql serve "SELECT mac, event, result, detail FROM push ORDER BY mac" | tr '|' ' ' | clean
  0011223344a0 check-sync no answer silent for 3.2 s, N sends
  0011223344a1 check-sync accepted challenged, 200 OK
  0011223344a2 check-sync refused challenged, 403 Forbidden
  $ prov phone get --state ph2 GPP_A
  GPP_A=first
  $ grep -c 'SIP resync$' ph1.log ph2.log
  ph1.log:1
  ph2.log:0

Other events: report asks the phone to upload its report (this one has no
Report_Rule, and says so):

  $ prov device resync 0011223344a1 --template t --db $DB --event report | clean
  0011223344a1 ADDR:P1 accepted (challenged, 200 OK)
  1 device: 1 sent, 1 challenged, 1 accepted, 0 refused, 0 no answer, 0 not sent
  $ for i in $(seq 200); do grep -qs 'SIP report' ph1.log && break; sleep 0.05; done
  $ grep -o 'SIP report.*' ph1.log
  SIP report: Report_Rule is empty

The password is never printed, nor sent: only its digest is.

  $ prov device resync 0011223344a1 --template t --db $DB 2>&1 | grep -c pw1
  0
  [1]
  $ for i in $(seq 400); do [ "$(grep -c 'SIP resync$' ph1.log)" -ge 2 ] && break; sleep 0.05; done
  $ grep -c 'SIP resync$' ph1.log
  2

A silent device does not hold the others: with a0 first and a T1 of 300
ms (19.2 s before "no answer"), a1 has resynced while the push is still
waiting for a0:

  $ prov device resync --group lab --template t --db $DB --t1 300 > slow.out & push=$!
  $ for i in $(seq 300); do [ "$(grep -c 'SIP resync$' ph1.log)" -ge 3 ] && break; sleep 0.05; done
  $ grep -c 'SIP resync$' ph1.log
  3
  $ kill -0 $push && echo still waiting for a0
  still waiting for a0
  $ wait $push; echo "exit $?"
  exit 1
  $ clean < slow.out
  0011223344a0 ADDR:P0 no answer (silent for 19.2 s, N sends)
  0011223344a1 ADDR:P1 accepted (challenged, 200 OK)
  0011223344a2 ADDR:P2 refused (challenged, 403 Forbidden)
  3 devices: 3 sent, 2 challenged, 1 accepted, 1 refused, 1 no answer, 0 not sent

Through a lossy path (tests/integration/udp_impair.py: a quarter of the
datagrams lost each way, some duplicated), retransmissions get the push
through:

  $ python3 "$TESTDIR_SRC/../integration/udp_impair.py" --server 127.0.0.1:$P1 --loss 25 --dup 10 --seed 7 --idle 60 > imp.port 2> imp.log & imp=$!
  $ for i in $(seq 200); do [ -s imp.port ] && break; sleep 0.05; done
  $ prov device resync 0011223344a1 --template t --db $DB --t1 100 --to 127.0.0.1:$(cat imp.port) | sed -E 's/:[0-9]+ /:LOSSY /'
  0011223344a1 127.0.0.1:LOSSY accepted (challenged, 200 OK)
  1 device: 1 sent, 1 challenged, 1 accepted, 0 refused, 0 no answer, 0 not sent
  $ kill $imp; wait $imp 2>/dev/null; grep -c . imp.log > /dev/null

--to overrides the history; a device never seen has no address:

  $ prov device add 0011223344a9 --db $DB --set USER=1009 --set PASS=pw9
  $ prov device resync 0011223344a9 --template t --db $DB
  0011223344a9 - not sent (no address: never seen by the server (give --to))
  1 device: 0 sent, 0 challenged, 0 accepted, 0 refused, 0 no answer, 1 not sent
  [1]
  $ prov device resync 0011223344a2 --template t --db $DB --to 127.0.0.1:$P1 | clean
  0011223344a2 ADDR:P1 refused (challenged, 403 Forbidden)
  1 device: 1 sent, 1 challenged, 0 accepted, 1 refused, 0 no answer, 0 not sent

sipp as an independent UAS: it challenges (MD5, qop=auth) and checks the
Authorization with its own digest code, 200 when right, 403 when wrong:

  $ uas() { # USER PASS PORT
  >   sipp -sf "$TESTDIR_SRC/../integration/sipp/uas-notify.xml" -m 1 -i 127.0.0.1 -p $3 \
  >     -mi 127.0.0.1 -mp $(prov_free_port) -set user $1 -set pass $2 -timeout 20s -nostdin \
  >     > /dev/null 2>&1 & sipp=$!
  >   for i in $(seq 200); do ss -Hlun "sport = :$3" | grep -q . && break; sleep 0.05; done
  > }
  $ S=$(prov_free_port)
  $ uas 1001 pw1 $S
  $ prov device resync 0011223344a1 --template t --db $DB --to 127.0.0.1:$S | sed "s/:$S /:S /"
  0011223344a1 127.0.0.1:S accepted (challenged, 200 OK)
  1 device: 1 sent, 1 challenged, 1 accepted, 0 refused, 0 no answer, 0 not sent
  $ wait $sipp; echo "sipp exit $?"
  sipp exit 0
  $ uas 1001 other $S
  $ prov device resync 0011223344a1 --template t --db $DB --to 127.0.0.1:$S | sed "s/:$S /:S /"
  0011223344a1 127.0.0.1:S refused (challenged, 403 Forbidden)
  1 device: 1 sent, 1 challenged, 0 accepted, 1 refused, 0 no answer, 0 not sent
  $ wait $sipp; echo "sipp exit $?"
  sipp exit 0

Bad usage:

  $ prov device resync --db $DB --template t
  prov: device resync: give one MAC or --group G (see 'prov device resync --help')
  [2]
  $ prov device resync 0011223344a1 --event dance --template t
  prov: device resync: --event: 'dance' is not check-sync, report or reboot_now (see 'prov device resync --help')
  [2]
  $ prov device resync --group lab --to 127.0.0.1:5060 --template t
  prov: device resync: --to takes one device, not a group (see 'prov device resync --help')
  [2]

Without --template, --route or --config: the template named like the
device's product, else the inventory's only one (here "t"):

  $ prov device resync 0011223344a2 --db $DB --to 127.0.0.1:$P1 | clean
  0011223344a2 ADDR:P1 refused (challenged, 403 Forbidden)
  1 device: 1 sent, 1 challenged, 0 accepted, 1 refused, 0 no answer, 0 not sent
  $ prov template set u t.xml --db $DB
  $ prov device resync 0011223344a1 --db $DB
  0011223344a1 - not sent (which template sets line 1? no template is named like its product, and the inventory has 2 (give --template, --route or --config))
  1 device: 0 sent, 0 challenged, 0 accepted, 0 refused, 0 no answer, 1 not sent
  [1]

  $ kill $ph1 $ph2 $silent; wait $ph1 $ph2 $silent 2>/dev/null; true
