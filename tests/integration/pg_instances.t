Two `prov serve` instances on one PostgreSQL (server.md S-SCL-1..3; issue
16 item 2): what one instance changes, the other serves on the next
request; the history of both lands in one place; when the database goes
away under load, static files are still served, rendered routes answer
503 (HTTP) and "server busy" (TFTP), and both instances recover by
themselves when it is back. This test runs its own PostgreSQL
(integration/pg.sh), since it kills it.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ PG="$TESTDIR_SRC/../integration/pg.sh"
  $ TMPDIR=/tmp PROV_PG_DURABLE=1 bash "$PG" start $PROV_TMP/pg-state > /dev/null
  $ trap 'bash "$PG" stop $PROV_TMP/pg-state >/dev/null 2>&1; prov_servers_stop' EXIT
  $ . $PROV_TMP/pg-state
  $ $PROV_PG_BIN/psql -X -q -h 127.0.0.1 -p $PROV_PG_PORT -U prov -d postgres -c 'CREATE DATABASE prov'
  $ DB=$PROV_PG_URL/prov

The schema, made ahead by `prov db migrate` (a server would make a new one
itself; it never changes an existing one):

  $ prov db status --db $DB
  inventory 0 of [0-9]+ (re)
  history 0 of [0-9]+ (re)
  migration due: run 'prov db migrate'
  [1]
  $ prov db migrate --db $DB | tail -1
  up to date

The inventory, and two instances with an admin API each:

  $ R=$PROV_TMP/root && mkdir -p $R && echo static > $R/static.txt
  $ prov device add 000e08abcdef --product CP-8841-3PCC --db $DB --set USER=1001
  $ prov var set PROXY=one.example.com --db $DB
  $ printf '<flat-profile><Proxy_1_>$PROXY</Proxy_1_><User_ID_1_>$USER</User_ID_1_></flat-profile>\n' > t.xml
  $ prov template set CP-8841-3PCC t.xml --db $DB
  $ head -c 32 /dev/urandom | xxd -p -c 64 > admin.token && chmod 600 admin.token
  $ start() {
  >   _prov_spawn $PROV_TMP/$1.log prov serve --db $DB --root $R --user root \
  >     --tftp 127.0.0.1:0 --http 127.0.0.1:0 --syslog 127.0.0.1:0 --admin 127.0.0.1:0 \
  >     --admin-token-file $PWD/admin.token --route '/$MA.xml template=$PN' --log-level notice
  >   echo $_PROV_PID > $1.pid
  >   for i in $(seq 600); do grep -q ' ready: ' $PROV_TMP/$1.log && return; sleep 0.05; done
  >   cat $PROV_TMP/$1.log; return 1
  > }
  $ port() { sed -n "s/.*listening: $2 [^ ]*:\([0-9]*\)$/\1/p" $PROV_TMP/$1.log | head -1; }
  $ start a && start b
  $ HA=http://127.0.0.1:$(port a http) HB=http://127.0.0.1:$(port b http)
  $ TB=$(port b tftp) API=http://127.0.0.1:$(port a admin) AUTH="Authorization: Bearer $(cat admin.token)"
  $ curl -s $HA/000e08abcdef.xml; curl -s $HB/000e08abcdef.xml
  <flat-profile><Proxy_1_>one.example.com</Proxy_1_><User_ID_1_>1001</User_ID_1_></flat-profile>
  <flat-profile><Proxy_1_>one.example.com</Proxy_1_><User_ID_1_>1001</User_ID_1_></flat-profile>

A change through instance A's API, acknowledged, is what B serves on its
very next request (each instance reads the inventory's change counter with
every rendered request, so no cached profile outlives a change); the same
for a change made with the CLI:

  $ curl -s -H "$AUTH" -X PUT -d '{"scope": "global", "owner": "", "name": "PROXY", "value": "two.example.com"}' -w '%{http_code}\n' $API/api/v1/variables
  204
  $ curl -s $HB/000e08abcdef.xml
  <flat-profile><Proxy_1_>two.example.com</Proxy_1_><User_ID_1_>1001</User_ID_1_></flat-profile>
  $ prov var set PROXY=three.example.com --db $DB && curl -s $HB/000e08abcdef.xml && tftp 127.0.0.1 $TB -m octet -c get 000e08abcdef.xml t.got && cat t.got
  <flat-profile><Proxy_1_>three.example.com</Proxy_1_><User_ID_1_>1001</User_ID_1_></flat-profile>
  <flat-profile><Proxy_1_>three.example.com</Proxy_1_><User_ID_1_>1001</User_ID_1_></flat-profile>

The history of both instances is in the one database (each instance's
writer commits within a fraction of a second):

  $ for i in $(seq 100); do [ "$(prov log --db $DB --mac 000e08abcdef --limit 100 | wc -l)" -ge 5 ] && break; sleep 0.1; done
  $ prov log --db $DB --mac 000e08abcdef --limit 100 | awk '{print $3, $4, $5}' | sort | uniq -c
        4 http GET 200
        1 tftp RRQ 200

The database goes away under load: a client loop on each instance keeps
asking for the rendered profile and for the static file, and writes down
each answer's status.

  $ load() {
  >   while [ ! -e stop ]; do
  >     curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 $1/000e08abcdef.xml >> $2.codes
  >     curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 $1/static.txt >> $2.static
  >   done
  > }
  $ load $HA a & LA=$!; load $HB b & LB=$!
  $ sleep 1
  $ bash "$PG" kill $PROV_TMP/pg-state

Without it: the static file is served, the profile is 503 over HTTP and
"server busy" over TFTP, never a stale or an empty profile:

  $ curl -s -o /dev/null -w '%{http_code}\n' $HA/static.txt
  200
  $ for i in $(seq 200); do [ "$(curl -s -o /dev/null -w '%{http_code}' $HB/000e08abcdef.xml)" = 503 ] && break; sleep 0.05; done
  $ curl -s -i $HB/000e08abcdef.xml | tr -d '\r' | grep -E '^HTTP|^Retry-After'
  HTTP/1.1 503 Service Unavailable
  Retry-After: [0-9]+ (re)
  $ tftp 127.0.0.1 $TB -m octet -c get 000e08abcdef.xml busy.got
  Error code 0: server busy
  $ sleep 2

Back: both instances serve rendered profiles again by themselves, within a
few seconds (each reconnects at most once a second), and the inventory as
it was:

  $ bash "$PG" restart $PROV_TMP/pg-state > /dev/null
  $ for h in $HA $HB; do for i in $(seq 300); do [ "$(curl -s -o /dev/null -w '%{http_code}' $h/000e08abcdef.xml)" = 200 ] && break; sleep 0.05; done; done
  $ curl -s $HA/000e08abcdef.xml; curl -s $HB/000e08abcdef.xml
  <flat-profile><Proxy_1_>three.example.com</Proxy_1_><User_ID_1_>1001</User_ID_1_></flat-profile>
  <flat-profile><Proxy_1_>three.example.com</Proxy_1_><User_ID_1_>1001</User_ID_1_></flat-profile>
  $ touch stop; wait $LA $LB

What the load saw: only 200 and 503 for the profile, only 200 for the
static file, and both instances are the processes that started:

  $ sort -u a.codes b.codes
  200
  503
  $ sort -u a.static b.static
  200
  $ kill -0 $(cat a.pid) $(cat b.pid) && echo both running
  both running
  $ grep -c 'database unavailable' $PROV_TMP/a.log | awk '$1 > 0 {print "logged"}'
  logged

No history was lost: what the instances answered while the database was
away waited in their writers and was written when it came back (every
static request of the load, and the one above):

  $ sql() { $PROV_PG_BIN/psql -X -A -t -q -h 127.0.0.1 -p $PROV_PG_PORT -U prov -d prov -c "$1"; }
  $ want=$(cat a.static b.static | wc -l)
  $ for i in $(seq 150); do n=$(sql "SELECT COUNT(*) FROM request WHERE path = '/static.txt'"); [ "$n" -gt $want ] && break; sleep 0.1; done
  $ echo $((n - want))
  1
  $ cat $PROV_TMP/a.log $PROV_TMP/b.log | grep -c 'history records dropped' || true
  0

And a change after the outage is served at once by both again:

  $ prov var set PROXY=four.example.com --db $DB && curl -s $HA/000e08abcdef.xml && curl -s $HB/000e08abcdef.xml
  <flat-profile><Proxy_1_>four.example.com</Proxy_1_><User_ID_1_>1001</User_ID_1_></flat-profile>
  <flat-profile><Proxy_1_>four.example.com</Proxy_1_><User_ID_1_>1001</User_ID_1_></flat-profile>
