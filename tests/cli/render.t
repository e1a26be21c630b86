prov serve renders each phone its own profile from the inventory, over
HTTP, HTTPS and TFTP, checked with curl, tftp-hpa, openssl and gzip.
Spec: server.md S-SRV-2, S-SRV-3, S-DEV-2, S-DEV-5, S-SEC-1..3;
interfaces.md "Inventory and rendering"; reliability.md R-ENUM.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ DB=$(prov_db serve)
  $ R=$PROV_TMP/root && mkdir -p $R && echo static > $R/static.txt

The inventory: two phones, variables of every scope, one template.

  $ prov device add 000e08abcdef --product CP-8841-3PCC --group sales --serial FCH1 --db $DB --set USER=1001 --set PASS=pw1
  $ prov device add 001122334455 --product CP-8841-3PCC --serial FCH1234ABCD --db $DB --set USER=1002 --set PASS=pw2
  $ prov device add 00aabbccddee --db $DB --disabled
  $ prov var set PROXY=sip.example.com --db $DB
  $ prov var set --group sales PROXY=sales.example.com --db $DB
  $ cat > t.xml <<'X'
  > <flat-profile>
  > <Proxy_1_>$PROXY</Proxy_1_>
  > <User_ID_1_>$USER</User_ID_1_>
  > <Password_1_>$PASS</Password_1_>
  > <Profile_Rule>[--key $KEY]$SCHEME://$SERVIP:$PORT/e/$KEY_ID/$MA.cfg</Profile_Rule>
  > </flat-profile>
  > X
  $ prov template set CP-8841-3PCC t.xml --db $DB
  $ prov_serve $R --route '/$MA.xml template=$PN' --route '/e/$KEY_ID/$MA.cfg template=$PN gzip encrypt=openssl' --log-level info
  $ H=http://127.0.0.1:$PROV_SERVE_HTTP
  $ K1=$(prov device key 000e08abcdef --db $DB)

HTTP: the device's own values, group over global, the key and its id, the
server's address and port:

  $ curl -s $H/000E08ABCDEF.xml | sed "s/$K1/KEY1/; s/:$PROV_SERVE_HTTP\//:PORT\//"
  <flat-profile>
  <Proxy_1_>sales.example.com</Proxy_1_>
  <User_ID_1_>1001</User_ID_1_>
  <Password_1_>pw1</Password_1_>
  <Profile_Rule>[--key KEY1]http://127.0.0.1:PORT/e/1/000e08abcdef.cfg</Profile_Rule>
  </flat-profile>

TFTP (tftp-hpa and curl) renders the same profile; TFTP has no port to give,
so $PORT stays as written:

  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m octet -c get 001122334455.xml got.xml && grep -c 1002 got.xml
  1
  $ curl -s tftp://127.0.0.1:$PROV_SERVE_TFTP/001122334455.xml | grep Profile_Rule | sed 's/\[--key [0-9a-f]*\]/[--key K]/'
  <Profile_Rule>[--key K]tftp://127.0.0.1:$PORT/e/1/001122334455.cfg</Profile_Rule>

A value cannot add a parameter: it is escaped where it lands.

  $ prov device set 000e08abcdef --set 'PASS=</Password_1_><Admin_Password>x' --db $DB
  $ curl -s $H/000e08abcdef.xml | grep Password
  <Password_1_>&lt;/Password_1_&gt;&lt;Admin_Password&gt;x</Password_1_>

A change made with the CLI is served on the next request, no reload:

  $ prov var set --group sales PROXY=new.example.com --db $DB
  $ curl -s $H/000e08abcdef.xml | grep Proxy
  <Proxy_1_>new.example.com</Proxy_1_>

gzip + openssl-enc AES-256-CBC with the device's key, read by the real
openssl and gzip:

  $ curl -s -o e1.bin -w '%{http_code} %{content_type}\n' $H/e/1/000e08abcdef.cfg
  200 application/octet-stream
  $ head -c 8 e1.bin; echo
  Salted__
  $ openssl enc -d -aes-256-cbc -md md5 -k "$K1" -in e1.bin 2>/dev/null | gunzip | grep Proxy
  <Proxy_1_>new.example.com</Proxy_1_>
  $ prov device key 001122334455 --db $DB > other.key && openssl enc -d -aes-256-cbc -md md5 -k "$(cat other.key)" -in e1.bin > /dev/null 2>&1 || echo refused
  refused

Rotation: the profile encrypted with key 1 carries key 2 and a rule naming 2;
key 1 stays until the device has fetched with 2.

  $ prov device key 000e08abcdef --rotate --db $DB > /dev/null && K2=$(prov device key 000e08abcdef --db $DB)
  $ curl -s $H/e/1/000e08abcdef.cfg | openssl enc -d -aes-256-cbc -md md5 -k "$K1" 2>/dev/null | gunzip | grep Profile_Rule | sed "s/$K2/KEY2/; s/:$PROV_SERVE_HTTP\//:PORT\//"
  <Profile_Rule>[--key KEY2]http://127.0.0.1:PORT/e/2/000e08abcdef.cfg</Profile_Rule>
  $ curl -s -o /dev/null -w '%{http_code}\n' $H/e/1/000e08abcdef.cfg
  200
  $ curl -s $H/e/2/000e08abcdef.cfg | openssl enc -d -aes-256-cbc -md md5 -k "$K2" 2>/dev/null | gunzip | grep -c Proxy
  1
  $ curl -s -o /dev/null -w '%{http_code}\n' $H/e/1/000e08abcdef.cfg
  404
  $ curl -s -o /dev/null -w '%{http_code}\n' $H/e/3/000e08abcdef.cfg
  404

The key is never in the server's log, nor in the history:

  $ grep -c -e "$K1" -e "$K2" $PROV_SERVE_LOG
  0
  [1]
  $ prov log --db $DB --limit 1000 --json | grep -c -e "$K1" -e "$K2"
  0
  [1]

Enumeration defence (S-SEC-2): an unknown device, a disabled one and a
missing file get the same answer, byte for byte but the Date:

  $ for p in 0000000000ff.xml 00aabbccddee.xml e/1/00aabbccddee.cfg nothere.xml; do curl -s -i $H/$p | grep -v '^Date:' | md5sum; done | uniq -c | sed 's/^ *//'
  4 * - (glob)
  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m octet -c get 00aabbccddee.xml x.xml 2>&1
  Error code 1: no such file
  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m octet -c get nothere.xml x.xml 2>&1
  Error code 1: no such file

Static files are served beside the routes:

  $ curl -s $H/static.txt
  static

The database unavailable (here: a schema newer than this prov): rendered
routes answer 503 / TFTP "server busy", static files are still served, and
it is logged; once the database is back, the next request is served.

  $ prov_servers_stop >/dev/null; prov_servers_init
  $ DB2=$(prov_db serve) && R=$PROV_TMP/root && mkdir -p $R && echo static > $R/static.txt
  $ prov device add 000e08abcdef --product CP-8841-3PCC --db $DB2 && prov template set CP-8841-3PCC t.xml --db $DB2
  $ schema() { prov_db_sql serve "UPDATE schema_version SET version = $1 WHERE component = 'inventory'"; }
  $ V=$(prov_db_sql serve "SELECT version FROM schema_version WHERE component = 'inventory'")
  $ schema 99
  $ prov_serve $R --route '/$MA.xml template=$PN' --log-level info
  $ H=http://127.0.0.1:$PROV_SERVE_HTTP
  $ curl -s -w '%{http_code}\n' $H/000e08abcdef.xml
  503 Service Unavailable
  503
  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m octet -c get 000e08abcdef.xml x.xml 2>&1
  Error code 0: server busy
  $ curl -s $H/static.txt
  static
  $ grep -c 'server busy: inventory: .*schema 99 is newer' $PROV_SERVE_LOG
  2
  $ schema $V
  $ curl -s -o /dev/null -w '%{http_code}\n' $H/000e08abcdef.xml
  200

R-ENUM: an enumerator walking 10,000 MACs from four loopback addresses
harvests nothing: each address gets its burst of 404s, then 429 for the
cool-down, logged and counted in /metrics. The real phone inside the walked
range is never served to the walker. Phones behind one address fetching
their own profiles are not refused, nor is a phone at another address
during the walk.

  $ prov_servers_stop >/dev/null; prov_servers_init
  $ DB=$(prov_db serve) && R=$PROV_TMP/root && mkdir -p $R
  $ prov device add 001122002000 --product CP-8841-3PCC --db $DB && prov template set CP-8841-3PCC t.xml --db $DB
  $ prov device add 001122aa0001 --product CP-8841-3PCC --db $DB && prov device add 001122aa0002 --product CP-8841-3PCC --db $DB
  $ prov_serve $R --route '/$MA.xml template=$PN' --enum-miss-burst 50 --enum-miss-rate 6 --enum-cooldown-s 600
  $ H=http://127.0.0.1:$PROV_SERVE_HTTP
  $ for i in $(seq 100); do curl -s -o /dev/null -w '%{http_code}\n' --interface 127.0.0.9 $H/001122aa000$((i % 2 + 1)).xml; done | sort | uniq -c | sed 's/^ *//'
  100 200
  $ python3 "$TESTDIR_SRC/../integration/enumerate.py" $PROV_SERVE_HTTP 001122000000 10000 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5
  127.0.0.2 200=0 404=51 429=2449
  127.0.0.3 200=0 404=51 429=2449
  127.0.0.4 200=0 404=51 429=2449
  127.0.0.5 200=0 404=51 429=2449
  $ curl -s -o /dev/null -w '%{http_code}\n' --interface 127.0.0.9 $H/001122aa0001.xml
  200
  $ curl -s -o /dev/null -w '%{http_code}\n' --interface 127.0.0.2 $H/001122002000.xml
  429
  $ curl -s -o /dev/null -w '%{http_code}\n' --interface 127.0.0.2 tftp://127.0.0.1:$PROV_SERVE_TFTP/001122002000.xml
  000
  [71]
  $ grep -c 'enumeration: 127.0.0.[2-5]:[0-9]*: more than 50 misses, refused for 600 s' $PROV_SERVE_LOG
  4
  $ curl -s $H/metrics | grep -E '^prov_enum_(blocked|refused)_total'
  prov_enum_blocked_total 4
  prov_enum_refused_total 9798

(4 x 2449 walker requests, the HTTP and the TFTP request after the walk.)
