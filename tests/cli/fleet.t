prov fleet: many simulated phones, each a real device with the real engine,
against the real prov serve on loopback. Asserts on counts, never on time,
so it holds on a loaded machine. Spec: server.md S-SCL-3; reliability.md
R-LOAD; interfaces.md (prov fleet).

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ DB=$(prov_db serve)
  $ R=$PROV_TMP/root && mkdir -p $R

Usage errors exit 2 with one line:

  $ prov fleet --help | head -2
  usage: prov fleet --count N --rule RULE [--mac-base MAC] [--concurrency C]
                    [--duration S] [--boot-storm] [--report FILE]
  $ prov fleet --count 10
  prov: fleet: --count and --rule are required (see 'prov fleet --help')
  [2]
  $ prov fleet --count 0 --rule http://127.0.0.1/p.xml
  prov: fleet: --count takes 1..1000000, not '0' (see 'prov fleet --help')
  [2]
  $ prov fleet --count 2 --rule http://127.0.0.1/p.xml --mac-base 12:34
  prov: fleet: --mac-base takes 12 hex digits, not '12:34' (see 'prov fleet --help')
  [2]
  $ prov fleet --count 2 --rule http://127.0.0.1/p.xml --mac-base ffffffffffff
  prov: fleet: --mac-base plus --count runs past ff:ff:ff:ff:ff:ff (see 'prov fleet --help')
  [2]
  $ prov fleet --count 2 --rule http://127.0.0.1/p.xml --set Resync_Random_Delay=soon 2>&1 | cut -c1-60
  prov: fleet: --set Resync_Random_Delay=soon: * (glob)

A 4 KB profile (64 parameters), plain, and gzipped and encrypted as
phones read it:

  $ { echo '<flat-profile>'; for i in $(seq 1 64); do
  >   printf '<Speed_Dial_%d>sip:%04d@voice.example.com;user=phone</Speed_Dial_%d>\n' $(( (i - 1) % 8 + 2 )) $i $(( (i - 1) % 8 + 2 )); done
  >   echo '</flat-profile>'; } > $R/p.xml
  $ test $(wc -c < $R/p.xml) -gt 4000 && prov lint $R/p.xml
  $ prov pack --gzip --key s3cret -o $R/p.cfg $R/p.xml

10,000 phones, each resyncing once over HTTP, 600 at a time (on three
libcurl multi handles: FLEET_NET_TRANSFERS): every one provisioned, the
counts add up, and the report is JSON with a chart beside it:

  $ prov_serve $R
  $ prov fleet --count 10000 --concurrency 600 --rule "http://127.0.0.1:$PROV_SERVE_HTTP/p.xml" --report $PROV_TMP/r.json > out.txt
  $ grep -E '^(fleet|provisioned|attempts|long)' out.txt
  fleet: 10000 phones, explicit resyncs, rule http://127.0.0.1:*/p.xml (glob)
  provisioned 10000 of 10000 (the last after * s) (glob)
  attempts 10000  successes 10000  failures 0  cancelled 0
  long retries 0 (failed resyncs whose next attempt is over 10 s away)
  $ python3 -c '
  > import json, sys
  > r = json.load(open(sys.argv[1]))
  > print(r["count"], r["attempts"], r["successes"], r["failures"], r["provisioned"], r["failures_by_err"])
  > print(sum(round(s["resyncs_per_s"] * r["interval_s"]) for s in r["timeline"]))
  > assert 0 < r["latency_ms"]["p50"] <= r["latency_ms"]["p99"] <= r["latency_ms"]["max"] * 1.13
  > ' $PROV_TMP/r.json
  10000 10000 10000 0 10000 {}
  10000
  $ python3 -c '
  > import sys, xml.etree.ElementTree as E
  > svg = E.parse(sys.argv[1]).getroot()
  > print(svg.tag, len(svg.findall("{http://www.w3.org/2000/svg}polyline")))
  > ' $PROV_TMP/r.svg
  {http://www.w3.org/2000/svg}svg 2

Over TFTP, gzipped and AES-encrypted, the rule giving the key: decryption
is the phone's own. A wrong key fails every phone with its $ERR:

  $ prov fleet --count 300 --rule "[--key s3cret]tftp://127.0.0.1:$PROV_SERVE_TFTP/p.cfg" | grep -E '^(provisioned|attempts)'
  provisioned 300 of 300 (the last after * s) (glob)
  attempts 300  successes 300  failures 0  cancelled 0
  $ prov fleet --count 50 --rule "[--key wrong]http://127.0.0.1:$PROV_SERVE_HTTP/p.cfg" > out.txt
  [1]
  $ grep -A1 -E '^(provisioned|failures by)' out.txt
  provisioned 0 of 50
  attempts 50  successes 0  failures 50  cancelled 0
  --
  failures by $ERR:
            50  decrypt failed

Rules with $MA: each phone asks for its own rendered profile; 200 phones
from the inventory's first MAC, and one more beyond the inventory:

  $ { echo mac,product,group,serial; for i in $(seq 0 199); do printf '0200000a%04x,CP-8841-3PCC,,\n' $i; done; } > devs.csv
  $ prov device import devs.csv --db $DB
  $ printf '<flat-profile><Station_Name>$MA</Station_Name></flat-profile>\n' > t.xml
  $ prov template set CP-8841-3PCC t.xml --db $DB
  $ kill $PROV_SERVE_PID
  $ prov_serve $R --route '/$MA.xml template=CP-8841-3PCC'
  $ prov fleet --count 200 --mac-base 02:00:00:0a:00:00 --rule "http://127.0.0.1:$PROV_SERVE_HTTP/\$MA.xml" | grep -E '^(provisioned|attempts)'
  provisioned 200 of 200 (the last after * s) (glob)
  attempts 200  successes 200  failures 0  cancelled 0
  $ prov fleet --count 201 --mac-base 02:00:00:0a:00:00 --rule "http://127.0.0.1:$PROV_SERVE_HTTP/\$MA.xml" | grep -E -A1 '^(provisioned|failures by)'
  provisioned 200 of 201 (the last after * s) (glob)
  attempts 201  successes 200  failures 1  cancelled 0
  --
  failures by $ERR:
             1  http file not found

Boot storms from one address (as behind a NAT) against small limits
(reliability.md R-LOAD). Over TFTP, 200 phones powered on within a second
(Resync_Random_Delay 0) against 4 transfers per client: the server drops
the requests it cannot take (test_tftpd's caps_busy shows that), the
phones send them again, and none is sent into its error retry, where the
error packet "server busy" sent them:

  $ kill $PROV_SERVE_PID
  $ prov_serve $R --tftp-max-per-client 4
  $ prov fleet --count 200 --boot-storm --set Resync_Random_Delay=0 --rule "tftp://127.0.0.1:$PROV_SERVE_TFTP/p.xml" | grep -E '^(fleet|provisioned|attempts|long)'
  fleet: 200 phones, boot storm, rule tftp://127.0.0.1:*/p.xml (glob)
  provisioned 200 of 200 (the last after * s) (glob)
  attempts 200  successes 200  failures 0  cancelled 0
  long retries 0 (failed resyncs whose next attempt is over 10 s away)

Over HTTP, with 4 connections at most, all 4 taken by idle clients (the
server closes them after its 5 s header timeout): the phones wait in the
accept backlog, and get their profiles then; no 503, no failure:

  $ cat > hold.py <<'X'
  > import socket, sys
  > idle = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(int(sys.argv[2]))]
  > if len(sys.argv) > 3:
  >     open(sys.argv[3], "w").close()  # every connection is in the server's queue
  > for s in idle:
  >     s.settimeout(60)
  >     try:
  >         while s.recv(4096):
  >             pass
  >     except OSError:
  >         pass
  > X
  $ kill $PROV_SERVE_PID
  $ prov_serve $R --http-max-conns 4 --http-header-timeout-ms 5000 --http-overload-wait-ms 60000
  $ python3 hold.py $PROV_SERVE_HTTP 4 & HOLD=$!
  $ prov fleet --count 200 --boot-storm --set Resync_Random_Delay=0 --rule "http://127.0.0.1:$PROV_SERVE_HTTP/p.xml" | grep -E '^(provisioned|attempts|long)'
  provisioned 200 of 200 (the last after * s) (glob)
  attempts 200  successes 200  failures 0  cancelled 0
  long retries 0 (failed resyncs whose next attempt is over 10 s away)
  $ wait $HOLD
  $ grep -q 'wait in the backlog (up to 60000 ms)' $PROV_SERVE_LOG && echo held
  held
  $ curl -s http://127.0.0.1:$PROV_SERVE_HTTP/metrics | grep '^prov_overload_total{proto="http"}'
  prov_overload_total{proto="http"} 0

The old way, a 503 at once (--http-overload-wait-ms 0), sends every phone
into its error retry, and the summary says so (exit 1). The idle clients
connect first (they are ahead of anyone else in the accept queue, so none
of them is the one answered 503), then a probe that gets the 503 shows
they hold the 4 connections:

  $ kill $PROV_SERVE_PID
  $ prov_serve $R --http-max-conns 4 --http-header-timeout-ms 60000 --http-overload-wait-ms 0
  $ python3 hold.py $PROV_SERVE_HTTP 4 held.ready & HOLD=$!
  $ for i in $(seq 600); do [ -e held.ready ] && break; sleep 0.05; done
  $ for i in $(seq 200); do
  >   [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PROV_SERVE_HTTP/p.xml)" = 503 ] && break
  >   sleep 0.1
  > done; echo $i
  [0-9]+ (re)
  $ prov fleet --count 200 --boot-storm --set Resync_Random_Delay=0 --rule "http://127.0.0.1:$PROV_SERVE_HTTP/p.xml" > out.txt
  [1]
  $ grep -E -A1 '^(provisioned|long|failures by)' out.txt
  provisioned 0 of 200
  attempts 200  successes 0  failures 200  cancelled 0
  long retries 200 (failed resyncs whose next attempt is over 10 s away)
  latency ms: * (glob)
  --
  failures by $ERR:
           200  http_get failed: 503
  $ kill $HOLD $PROV_SERVE_PID
