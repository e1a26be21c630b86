The seed's secure flow end to end, with prov phone as the phone: a factory
phone with a MIC-style certificate resyncs over HTTPS from a bootstrap
route that needs a certificate; it learns its own key and a rule naming an
encrypted per-device profile over plain HTTP; it resyncs that; its key is
rotated without it ever losing its profile. An attacker without a
certificate, or with another phone's, gets nothing of it.
Spec: server.md S-SEC-1, S-SEC-3, S-SRV-2/3; issue 13 item 6.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ P=$PROV_TMP/pki && prov_test_ca $P > /dev/null
  $ openssl req -config $P/openssl.cnf -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other.key -out other.csr -subj "/C=US/ST=000e08abcdef/L=FCH9/OU=CP-8841-3PCC/CN=CP-8841-3PCC SEP000e08abcdef" 2>/dev/null
  $ openssl x509 -req -in other.csr -CA $P/ca.pem -CAkey $P/ca.key -set_serial 0x1234 -days 30 -sha256 -extfile $P/openssl.cnf -extensions client -out other.pem 2>/dev/null
  $ DB=$(prov_db serve) R=$PROV_TMP/root && mkdir -p $R

The inventory: the phone of the test MIC (001122334455) and another one.

  $ prov device add 001122334455 --product CP-8841-3PCC --serial FCH1234ABCD --set USER=1002 --set PASS=secret-1002 --db $DB
  $ prov device add 000e08abcdef --product CP-8841-3PCC --set USER=1001 --set PASS=secret-1001 --db $DB
  $ cat > boot.xml <<'X'
  > <flat-profile>
  > <Profile_Rule>[--key $KEY]http://$PLAIN/p/$KEY_ID/$MA.cfg</Profile_Rule>
  > </flat-profile>
  > X
  $ cat > main.xml <<'X'
  > <flat-profile>
  > <User_ID_1_>$USER</User_ID_1_>
  > <Password_1_>$PASS</Password_1_>
  > <Profile_Rule>[--key $KEY]http://$SERVIP:$PORT/p/$KEY_ID/$MA.cfg</Profile_Rule>
  > </flat-profile>
  > X
  $ prov template set bootstrap boot.xml --db $DB && prov template set main main.xml --db $DB
  $ prov_serve $R --https 127.0.0.1:0 --cert $P/server.pem --key $P/server.key --client-ca $P/ca.pem --route '/boot.xml template=bootstrap require=cert' --route '/cfg-$MA.xml template=main require=cert' --route '/p/$KEY_ID/$MA.cfg template=main gzip encrypt=openssl'
  $ S=$PROV_SERVE_HTTPS H=$PROV_SERVE_HTTP
  $ prov var set PLAIN=127.0.0.1:$H --db $DB

The factory phone bootstraps over HTTPS with its certificate, then fetches
its encrypted profile over plain HTTP with the key it was given:

  $ prov phone init --state ph --mac 00:11:22:33:44:55 --serial FCH1234ABCD --ca $P/ca.pem --cert $P/client.pem --certkey $P/client.key
  $ prov phone set --state ph "Syslog_Server=127.0.0.1:$PROV_SERVE_SYSLOG"
  $ prov phone resync --state ph "https://127.0.0.1:$S/boot.xml" | sed "s/:$S\//:S\//"
  rule X: https://127.0.0.1:S/boot.xml: ok, * bytes, 1 changed (glob)
  resync: ok
  $ prov phone resync --state ph | sed "s/:$H\//:H\//"
  rule A: http://127.0.0.1:H/p/1/001122334455.cfg: ok, * bytes, 2 changed (glob)
  resync: ok
  $ prov phone get --state ph User_ID_1_
  User_ID_1_=1002
  $ prov phone get --state ph Profile_Rule | sed "s/:$H\//:H\//"
  Profile_Rule=[--key ********]http://127.0.0.1:H/p/1/001122334455.cfg (glob)

Rotation: the profile encrypted with key 1 carries key 2 and a rule naming
2; the server keeps key 1 until the phone has fetched with 2:

  $ prov device key 001122334455 --rotate --db $DB > /dev/null
  $ prov phone resync --state ph | sed "s/:$H\//:H\//"
  rule A: http://127.0.0.1:H/p/1/001122334455.cfg: ok, * bytes, 1 changed (glob)
  resync: ok
  $ prov phone get --state ph Profile_Rule | grep -o '/p/[0-9]*/'
  /p/2/
  $ curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$H/p/1/001122334455.cfg
  200
  $ prov phone resync --state ph | sed "s/:$H\//:H\//"
  rule A: http://127.0.0.1:H/p/2/001122334455.cfg: ok, * bytes, 0 changed (glob)
  resync: ok

The inventory shows what the history says of the phone: its last request,
the firmware in its User-Agent, and its last resync result from its own
syslog (history commits in batches: wait for it):

  $ for i in $(seq 100); do prov device show 001122334455 --db $DB | grep -q '^result .*p/2/' && break; sleep 0.05; done
  $ prov device show 001122334455 --db $DB | grep -E '^(status|user_agent|result) ' | sed "s/:$H\//:H\//"
  status     200
  user_agent Cisco-CP-8841-3PCC/* (001122334455) (glob)
  result     00:11:22:33:44:55 -- Successful resync http://127.0.0.1:H/p/2/001122334455.cfg

  $ curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$H/p/1/001122334455.cfg
  404
  $ prov device show 001122334455 --db $DB | grep key_id
  key_id     2

An attacker without a certificate gets nothing: the bootstrap route and the
cleartext route answer as a missing file, over HTTPS and over HTTP:

  $ curl -s -o /dev/null -w '%{http_code}\n' --cacert $P/ca.pem https://localhost:$S/boot.xml
  404
  $ curl -s -o /dev/null -w '%{http_code}\n' --cacert $P/ca.pem https://localhost:$S/cfg-001122334455.xml
  404
  $ curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$H/boot.xml
  404

The encrypted profile is fetched by anyone over HTTP, but it is sealed with
the phone's own key:

  $ curl -s -o stolen.bin http://127.0.0.1:$H/p/2/001122334455.cfg && head -c 8 stolen.bin; echo
  Salted__
  $ K=$(prov device key 000e08abcdef --db $DB) && openssl enc -d -aes-256-cbc -md md5 -k "$K" -in stolen.bin > /dev/null 2>&1 || echo refused
  refused

With another phone's certificate, the bootstrap route gives that phone its
own profile, and the first phone's cleartext profile is a missing file:

  $ curl -s --cacert $P/ca.pem --cert other.pem --key other.key https://localhost:$S/cfg-000e08abcdef.xml | grep User_ID
  <User_ID_1_>1001</User_ID_1_>
  $ curl -s -o /dev/null -w '%{http_code}\n' --cacert $P/ca.pem --cert other.pem --key other.key https://localhost:$S/cfg-001122334455.xml
  404
  $ curl -s --cacert $P/ca.pem --cert other.pem --key other.key https://localhost:$S/boot.xml | grep -c 000e08abcdef
  1
  $ curl -s --cacert $P/ca.pem --cert $P/client.pem --key $P/client.key https://localhost:$S/cfg-001122334455.xml | grep User_ID
  <User_ID_1_>1002</User_ID_1_>

Nothing of the phone's secrets is in the server's log:

  $ grep -c -e secret-1002 -e "$(prov device key 001122334455 --db $DB)" $PROV_SERVE_LOG
  0
  [1]
