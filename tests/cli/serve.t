prov serve end to end: the real daemon on loopback (ephemeral ports),
checked with independent clients: curl (HTTP, TFTP), tftp-hpa's tftp,
logger (syslog), and a raw traversal walker. Spec: server.md S-NET-1..5,
S-SRV-1, S-DEV-3, S-OPS-1..3; reliability.md R-PATH, R-PRIV;
interfaces.md (prov serve).

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init

Usage and configuration errors exit 2 with one line saying what and where:

  $ prov serve --help | head -1
  usage: prov serve [--config FILE] [--root DIR] [--db URL]
  $ prov serve --http 127.0.0.1:0
  prov: serve: no root directory (--root DIR or 'root DIR')
  [2]
  $ prov serve --root /nonexistent --http 127.0.0.1:0
  prov: serve: root /nonexistent: No such file or directory
  [2]
  $ prov serve --root . --frob 1
  prov: serve: unknown option '--frob' (see 'prov serve --help')
  [2]
  $ prov serve --root .
  prov: serve: nothing to serve: give --tftp, --http, --https or --syslog
  [2]
  $ prov serve --root . --http 127.0.0.1
  prov: serve: --http: '127.0.0.1' is not ADDR:PORT, [ADDR6]:PORT or :PORT
  [2]
  $ prov serve --root . --https 127.0.0.1:0
  prov: serve: https needs --cert PEM and --key PEM
  [2]
  $ printf 'root .\nhttp 127.0.0.1:0\nworkers many\n' > bad.conf
  $ prov serve --config bad.conf
  prov: serve: bad.conf:3: workers: 'many' is not a number from 1 to 64
  [2]
  $ printf 'root .\nhttp 127.0.0.1:0  # the web\n' > good.conf
  $ prov serve --config good.conf --check
  configuration ok

An upload directory that overlaps the root (equal, inside or containing it)
would let an unauthenticated PUT replace a served profile; refused by
--check and at start:

  $ mkdir -p tree/up
  $ prov serve --root tree --upload tree/up --http 127.0.0.1:0 --check
  prov: serve: upload tree/up and root tree overlap: an upload could replace a served file; give separate trees
  [2]
  $ prov serve --root tree/up --upload tree --http 127.0.0.1:0
  prov: serve: upload tree and root tree/up overlap: an upload could replace a served file; give separate trees
  [2]
  $ prov serve --root tree --upload tree/. --http 127.0.0.1:0
  prov: serve: upload tree/. and root tree overlap: an upload could replace a served file; give separate trees
  [2]

The example configuration documents every option; with its paths pointed
here it passes --check:

  $ prov serve --config "$TESTDIR_SRC/../../examples/prov-serve.conf" --root . --db sqlite:x.db --tftp 127.0.0.1:0 --http 127.0.0.1:0 --syslog 127.0.0.1:0 --check
  configuration ok

A tree to serve, and a secret beside it (outside the root):

  $ R=$PROV_TMP/root && mkdir -p $R/deep $PROV_TMP/up && chmod 755 $PROV_TMP $R $R/deep
  $ printf '<flat-profile><GPP_A>a</GPP_A></flat-profile>\n' > $R/a.xml
  $ printf 'b\n' > $R/deep/b.cfg
  $ head -c 40960 /dev/urandom > $R/forty.bin
  $ head -c 1048576 /dev/urandom > $R/image.loads
  $ printf '<flat-profile><User_ID_1_>1001</User_ID_1_></flat-profile>\n' > $R/spa001122aabbcc.xml
  $ echo SECRET-OUTSIDE-ROOT-5f3a > $PROV_TMP/secret.txt

The traversal walker below misses thousands of times from one address: the
enumeration defence (render.t) is turned off for it.

  $ prov_serve $R --upload $PROV_TMP/up --enum-miss-burst 0

HTTP (curl) and TFTP (tftp-hpa, curl with blksize) serve the same bytes:

  $ curl -s -o got.xml -w '%{http_code}\n' http://127.0.0.1:$PROV_SERVE_HTTP/a.xml && cmp got.xml $R/a.xml
  200
  $ curl -s -o got.bin http://127.0.0.1:$PROV_SERVE_HTTP/forty.bin && cmp got.bin $R/forty.bin
  $ curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$PROV_SERVE_HTTP/missing.xml
  404
  $ curl -s -o /dev/null -w '%{http_code}\n' --path-as-is http://127.0.0.1:$PROV_SERVE_HTTP/../secret.txt
  403
  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m binary -c get image.loads img1 && cmp img1 $R/image.loads
  $ curl -s --tftp-blksize 1428 -o img2 tftp://127.0.0.1:$PROV_SERVE_TFTP/image.loads && cmp img2 $R/image.loads
  $ curl -s -o none tftp://127.0.0.1:$PROV_SERVE_TFTP/missing.xml; echo "curl exit $?"
  curl exit 68

R-PATH: hundreds of traversal paths over HTTP and TFTP, no byte from outside:

  $ python3 "$TESTDIR_SRC/../integration/traversal.py" 127.0.0.1 $PROV_SERVE_HTTP $PROV_SERVE_TFTP $R $PROV_TMP/secret.txt
  * traversal requests (* paths) over HTTP and TFTP: no byte outside the root (glob)

/healthz and /metrics (Prometheus text):

  $ curl -s http://127.0.0.1:$PROV_SERVE_HTTP/healthz
  ok
  $ curl -s http://127.0.0.1:$PROV_SERVE_HTTP/metrics | grep -E '^prov_requests_total\{proto="(http|tftp)",class="2xx"\}' | sed 's/ [0-9]*$/ N/'
  prov_requests_total{proto="tftp",class="2xx"} N
  prov_requests_total{proto="http",class="2xx"} N
  $ curl -s http://127.0.0.1:$PROV_SERVE_HTTP/metrics | grep -c '^# TYPE'
  * (glob)

Reports: PUT lands in the upload directory only:

  $ curl -s -o /dev/null -w '%{http_code}\n' -T got.xml http://127.0.0.1:$PROV_SERVE_HTTP/report-001122aabbcc.xml
  201
  $ cmp $PROV_TMP/up/report-001122aabbcc.xml got.xml

Syslog from logger (RFC 3164 and 5424) is collected:

  $ logger -n 127.0.0.1 -P $PROV_SERVE_SYSLOG -d --rfc3164 -t prov "001122aabbcc resync ok"
  $ logger -n 127.0.0.1 -P $PROV_SERVE_SYSLOG -d --rfc5424 -t prov "001122aabbcc second"

The history has every request and message (S-DEV-3), read with prov log
while the server runs (columns: protocol, method, status, bytes, MAC, path):

  $ logwait() { # until prov log ARGS prints N rows (history commits in batches)
  >   local n=$1 i; shift
  >   for i in $(seq 400); do [ "$(prov log --db $(prov_db serve) "$@" | wc -l)" -ge "$n" ] && return; sleep 0.05; done
  > }
  $ logwait 1 --mac 001122aabbcc
  $ prov log --db $(prov_db serve) --mac 00:11:22:AA:BB:CC | awk '{print $3, $4, $5, $6, $8, $9}'
  http PUT 201 46 001122aabbcc /report-001122aabbcc.xml
  $ curl -s -o /dev/null http://127.0.0.1:$PROV_SERVE_HTTP/spa001122aabbcc.xml -A 'Cisco-CP-8841-3PCC/11.3.1 (001122aabbcc)'
  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m binary -c get spa001122aabbcc.xml got-spa.xml
  $ logwait 3 --mac 001122aabbcc
  $ logwait 2 --syslog
  $ prov log --db $(prov_db serve) --mac 001122aabbcc --limit 2 | awk '{print $3, $4, $5, $6, $8, $9, $10, $11}'
  http GET 200 59 001122aabbcc /spa001122aabbcc.xml "Cisco-CP-8841-3PCC/11.3.1 (001122aabbcc)"
  tftp RRQ 200 59 001122aabbcc spa001122aabbcc.xml - 
  $ prov log --db $(prov_db serve) --syslog --mac 001122aabbcc | cut -d' ' -f3,4,6-
  user.notice 001122aabbcc prov 001122aabbcc resync ok
  user.notice 001122aabbcc prov 001122aabbcc second
  $ prov log --db $(prov_db serve) --json --limit 1 | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print(sorted(r))'
  ['bytes', 'client', 'duration_us', 'mac', 'method', 'path', 'proto', 'status', 'subject', 'time', 'time_ms', 'user_agent']

SIGHUP reloads; a broken file is refused and the old configuration kept:

  $ waitlog() { # until the server's log has PATTERN (generous: a loaded machine)
  >   local i; for i in $(seq 400); do grep -q "$1" $PROV_SERVE_LOG && return; sleep 0.05; done
  > }
  $ kill -HUP $PROV_SERVE_PID && waitlog 'configuration reloaded' && grep -c 'configuration reloaded' $PROV_SERVE_LOG
  1

SIGTERM drains and exits 0:

  $ kill -TERM $PROV_SERVE_PID; for i in $(seq 400); do kill -0 $PROV_SERVE_PID 2>/dev/null || break; sleep 0.05; done; grep -c ' stopped' $PROV_SERVE_LOG
  1

Reload from a configuration file, and a broken one refused:

  $ printf 'root %s\nlog-level info\n' "$R" > live.conf
  $ prov_serve $R --config live.conf
  $ printf 'root %s\nworkers none\n' "$R" > live.conf
  $ kill -HUP $PROV_SERVE_PID && waitlog 'reload refused' && grep -o 'reload refused.*' $PROV_SERVE_LOG
  reload refused, keeping the running configuration: live.conf:2: workers: 'none' is not a number from 1 to 64
  $ curl -s http://127.0.0.1:$PROV_SERVE_HTTP/healthz
  ok
  $ kill -TERM $PROV_SERVE_PID

R-PRIV: started as root, the workers serve as nobody (the default user):

  $ prov_serve $R --user nobody --workers 2
  $ ps -o user= --ppid $PROV_SERVE_PID | sort | uniq -c | sed 's/^ *//'
  2 nobody
  $ for i in 1 2 3 4 5 6; do curl -s -o /dev/null -w '%{http_code} ' http://127.0.0.1:$PROV_SERVE_HTTP/a.xml; done; echo
  200 200 200 200 200 200 
  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m binary -c get forty.bin got40 && cmp got40 $R/forty.bin
  $ kill -TERM $PROV_SERVE_PID; for i in $(seq 400); do kill -0 $PROV_SERVE_PID 2>/dev/null || break; sleep 0.05; done; kill -0 $PROV_SERVE_PID 2>/dev/null || echo exited
  exited
