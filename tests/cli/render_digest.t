prov serve's auth=digest routes: per-device HTTP Digest credentials (the
phone's [--uid U --pwd P] rule options), checked with curl --digest and
prov phone. Credentials are asked before anything about the device is
told: every unauthenticated request gets the same 401 challenge whatever
its path names, and wrong credentials are misses like any other.
Spec: server.md S-SEC-1, S-SEC-2; RFC 7616; issue 13 items 4 and 5.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ P=$PROV_TMP/pki && prov_test_ca $P > /dev/null
  $ DB=$(prov_db serve) R=$PROV_TMP/root && mkdir -p $R && echo static > $R/static.txt

Devices with credentials, one disabled, one without any; one more (the
MAC of the test client certificate) for HTTPS:

  $ prov device add 000e08000a01 --product CP-8841-3PCC --set USER=1001 --http-user alice --http-password pwA1 --db $DB
  $ prov device add 000e08000b02 --product CP-8841-3PCC --set USER=1002 --http-user bob --http-password pwB --db $DB
  $ prov device add 000e08000c03 --product CP-8841-3PCC --http-user carol --http-password pwC --disabled --db $DB
  $ prov device add 000e08000d04 --product CP-8841-3PCC --db $DB
  $ prov device add 001122334455 --product CP-8841-3PCC --http-user mic --http-password pwM --db $DB
  $ cat > t.xml <<'X'
  > <flat-profile>
  > <User_ID_1_>$USER</User_ID_1_>
  > <GPP_A>for $MA</GPP_A>
  > </flat-profile>
  > X
  $ prov template set CP-8841-3PCC t.xml --db $DB

The options are checked, and the password is a secret:

  $ prov device set 000e08000d04 --http-user dave --db $DB
  prov: device set: --http-user and --http-password go together (both '' to remove them) (see 'prov device set --help')
  [2]
  $ prov device set 000e08000d04 --http-user 'da:ve' --http-password x --db $DB
  prov: device set: --http-user: no ':', '"' or '\' in a Digest user name (see 'prov device set --help')
  [2]
  $ prov device show 000e08000a01 --db $DB | grep http_
  http_user  alice
  http_pass  (hidden: --show-secrets)
  $ prov device show 000e08000a01 --db $DB --show-secrets | grep http_pass
  http_pass  pwA1
  $ prov device show 000e08000a01 --db $DB --json | grep -o '"http_[a-z]*":[^,]*'
  "http_user":"alice"
  "http_password":null
  $ prov device show 000e08000a01 --db $DB --json --show-secrets | grep -o '"http_password":"[^,]*'
  "http_password":"pwA1"
  $ echo 'from stdin' | prov device set 000e08000d04 --http-user dave --http-password - --db $DB
  $ prov device show 000e08000d04 --db $DB --show-secrets | grep http_
  http_user  dave
  http_pass  from stdin
  $ prov device set 000e08000d04 --http-user '' --http-password '' --db $DB

  $ prov_serve $R --https 127.0.0.1:0 --cert $P/server.pem --key $P/server.key --client-ca $P/ca.pem --route '/d/$MA.xml template=$PN auth=digest' --route '/m/$MA.xml template=nosuch auth=digest' --route '/o/$MA.xml template=$PN' --route '/boot/$MA.xml template=boot' --enum-miss-burst 5 --enum-miss-rate 1 --enum-cooldown-s 600 --log-level debug
  $ H=http://127.0.0.1:$PROV_SERVE_HTTP S=https://127.0.0.1:$PROV_SERVE_HTTPS

Without credentials: a known device, an unknown one, a disabled one, one
without credentials, a missing template, and over HTTPS with the
certificate of another device, all get the same 401, byte for byte but
the Date and the nonce:

  $ chal() { curl -s -i "$@" | tr -d '\r' | grep -v '^Date:' | sed 's/nonce="[0-9a-f]*"/nonce="N"/'; }
  $ chal $H/d/000e08000a01.xml
  HTTP/1.1 401 Unauthorized
  Server: prov/0.1.0
  Content-Type: text/plain
  Content-Length: 17
  Connection: keep-alive
  WWW-Authenticate: Digest realm="prov", qop="auth", algorithm=MD5, nonce="N"
  
  401 Unauthorized
  $ for u in $H/d/000e08000a01.xml $H/d/0000000000ff.xml $H/d/000e08000c03.xml $H/d/000e08000d04.xml $H/m/000e08000a01.xml; do chal $u | md5sum; done | uniq -c | sed 's/^ *//'
  5 * - (glob)
  $ chal $H/d/000e08000a01.xml | md5sum > h.sum
  $ chal --cacert $P/ca.pem --cert $P/client.pem --key $P/client.key $S/d/000e08000b02.xml | md5sum | cmp - h.sum && echo same
  same
  $ chal --cacert $P/ca.pem $S/d/000e08000a01.xml | md5sum | cmp - h.sum && echo same
  same

Unauthenticated requests are not misses: phones start with one. No
address is refused for them:

  $ for i in $(seq 20); do curl -s -o /dev/null -w '%{http_code}\n' --interface 127.0.0.8 $H/d/0000000000$((i + 10)).xml; done | uniq -c | sed 's/^ *//'
  20 401

The device's own credentials are served; the wrong password, another
device's credentials, a disabled device's, and credentials for a path of
an unknown device, a device without credentials or a missing template are
misses, answered exactly as a missing file:

  $ curl -s --digest -u 'alice:pwA1' $H/d/000e08000a01.xml
  <flat-profile>
  <User_ID_1_>1001</User_ID_1_>
  <GPP_A>for 000e08000a01</GPP_A>
  </flat-profile>
  $ curl -s -o /dev/null -w '%{http_code}\n' --digest -u bob:pwB $H/d/000e08000b02.xml
  200
  $ curl -s -i $H/nothere.xml | tr -d '\r' | grep -v '^Date:' | md5sum > miss.sum
  $ miss() { curl -s -i --digest --interface 127.0.0.9 "$@" | tr -d '\r' | sed '1,/^$/d' | grep -v '^Date:' | md5sum | cmp - miss.sum && echo miss; }
  $ miss -u alice:wrong $H/d/000e08000a01.xml
  miss
  $ miss -u bob:pwB $H/d/000e08000a01.xml
  miss
  $ miss -u carol:pwC $H/d/000e08000c03.xml
  miss
  $ miss -u alice:x $H/d/0000000000ff.xml
  miss
  $ miss -u alice:x $H/d/000e08000d04.xml
  miss
  $ miss -u 'alice:pwA1' $H/m/000e08000a01.xml
  miss

Those six misses were counted against 127.0.0.9 (burst 5): it is now
refused, even with good credentials, while other addresses are served:

  $ curl -s -o /dev/null -w '%{http_code}\n' --digest -u bob:pwB --interface 127.0.0.9 $H/d/000e08000b02.xml
  429
  $ curl -s -o /dev/null -w '%{http_code}\n' --digest -u bob:pwB --interface 127.0.0.8 $H/d/000e08000b02.xml
  200
  $ grep -c 'enumeration: 127.0.0.9:[0-9]*: more than 5 misses' $PROV_SERVE_LOG
  1

Over HTTPS, the certificate's own device with its own credentials:

  $ curl -s --digest -u mic:pwM --cacert $P/ca.pem --cert $P/client.pem --key $P/client.key $S/d/001122334455.xml | grep GPP_A
  <GPP_A>for 001122334455</GPP_A>

Over TFTP an auth=digest route is always a miss (TFTP has no credentials);
a route without auth= is still served there:

  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m octet -c get d/000e08000a01.xml got 2>&1
  Error code 1: no such file
  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m octet -c get o/000e08000a01.xml got 2>&1 && grep -c 1001 got
  1

A forged or altered nonce is no credentials: a new challenge, not a miss:

  $ N=$(curl -s -i $H/d/000e08000b02.xml | sed -n 's/.*nonce="\([0-9a-f]*\)".*/\1/p')
  $ echo ${#N}
  48
  $ L=${N#"${N%?}"} && F=${N%?}$([ "$L" = 0 ] && echo 1 || echo 0)
  $ curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Digest username=\"bob\", realm=\"prov\", nonce=\"$F\", uri=\"/d/000e08000b02.xml\", qop=auth, nc=00000001, cnonce=\"abc\", response=\"00000000000000000000000000000000\"" $H/d/000e08000b02.xml
  401

The same nonce and nc twice (a replayed request) is challenged again:

  $ HA1=$(printf 'bob:prov:pwB' | md5sum | cut -c1-32) HA2=$(printf 'GET:/d/000e08000b02.xml' | md5sum | cut -c1-32)
  $ RESP=$(printf '%s' "$HA1:$N:00000001:abc:auth:$HA2" | md5sum | cut -c1-32)
  $ AUTH="Authorization: Digest username=\"bob\", realm=\"prov\", nonce=\"$N\", uri=\"/d/000e08000b02.xml\", qop=auth, nc=00000001, cnonce=\"abc\", response=\"$RESP\""
  $ curl -s -H "$AUTH" $H/d/000e08000b02.xml | grep User_ID
  <User_ID_1_>1002</User_ID_1_>
  $ curl -s -o /dev/null -w '%{http_code}\n' -H "$AUTH" $H/d/000e08000b02.xml
  401

prov phone gives the rule's --uid and --pwd:

  $ prov phone init --state ph --mac 00:0e:08:00:0a:01 --product CP-8841-3PCC
  $ prov phone resync --state ph "[--uid alice --pwd pwA1]$H/d/\$MA.xml" | tail -1
  resync: ok
  $ prov phone get --state ph User_ID_1_ GPP_A
  User_ID_1_=1001
  GPP_A=for 000e08000a01
  $ prov phone init --state bad --mac 00:0e:08:00:0b:02 --product CP-8841-3PCC
  $ prov phone resync --state bad "[--uid alice --pwd pwA1]$H/d/\$MA.xml" 2>&1 | tail -1
  resync failed: * (glob)
  $ prov phone get --state bad User_ID_1_
  User_ID_1_=

A bootstrap profile gives the phone its credentials and the rule that
uses them ($HTTP_USER and $HTTP_PASSWORD; in real life from a require=cert
route over HTTPS); the phone then resyncs its own profile with them:

  $ printf '<flat-profile>\n<Profile_Rule>[--uid $HTTP_USER --pwd $HTTP_PASSWORD]http://$SERVIP:$PORT/d/$MA.xml</Profile_Rule>\n</flat-profile>\n' > boot.xml
  $ prov template set boot boot.xml --db $DB
  $ prov phone init --state fresh --mac 00:0e:08:00:0a:01 --product CP-8841-3PCC
  $ prov phone resync --state fresh "$H/boot/\$MA.xml" | tail -1
  resync: ok
  $ prov phone get --state fresh Profile_Rule | sed "s/:$PROV_SERVE_HTTP\//:PORT\//"
  Profile_Rule=[--uid alice --pwd pwA1]http://127.0.0.1:PORT/d/000e08000a01.xml
  $ prov phone resync --state fresh | tail -1
  resync: ok
  $ prov phone get --state fresh User_ID_1_
  User_ID_1_=1001

A device without credentials keeps the names as written:

  $ curl -s $H/boot/000e08000d04.xml | grep -o '\[.*\]'
  [--uid $HTTP_USER --pwd $HTTP_PASSWORD]

No password is in the server's log (at debug level) nor in the history:

  $ grep -c -e pwA1 -e pwB -e pwC -e pwM $PROV_SERVE_LOG
  0
  [1]
  $ prov log --db $DB --limit 1000 --json | grep -c -e pwA1 -e pwB -e pwC -e pwM
  0
  [1]

Removing the credentials: the device is then never served on the route.

  $ prov device set 000e08000b02 --http-user '' --http-password '' --db $DB
  $ prov device show 000e08000b02 --db $DB | grep http_
  http_user  -
  http_pass  -
  $ curl -s -o /dev/null -w '%{http_code}\n' --digest -u bob:pwB $H/d/000e08000b02.xml
  404

  $ prov_servers_stop
