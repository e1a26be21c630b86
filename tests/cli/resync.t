prov phone resync against real, independent servers on loopback: nginx for
HTTP, HTTPS and HTTPS with a required client certificate, in.tftpd
(tftpd-hpa), python3 servers for what those cannot do, and a UDP syslog
collector (tests/integration/servers.sh, syslog_listen.py). First the
exercises of the seed chapter (provisioning-methods.md) in its order, then
the faults, each of which must fail with its own $ERR and apply nothing.
Spec: device.md D-RUL-1..7, D-ENC-1..5, D-NET-1..4, D-LOG-1..3, D-STA-1,
D-PAR-3, D-PAR-5, D-SCH-8; interfaces.md (prov phone resync).

Ports are ephemeral: every port number printed goes through ports.sed,
which writes it as the name of its server ($HTTP, $TFTP, ...). Syslog
datagrams are shown with their RFC 3164 timestamp checked and replaced by
"Mmm dd hh:mm:ss".

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ prov_fixture > fx.env && . ./fx.env
  $ prov_syslog "$PWD/syslog.log" > syslog.port && SYSLOG=$(cat syslog.port)
  $ grep -E '^[A-Z]+=[0-9]+$' fx.env | sed -E 's/^([A-Z]+)=([0-9]+)$/s#:\2([^0-9]|$)#:$\1\\1#g/' > ports.sed
  $ W=$TMP/www T=$TMP/tftp
  $ resync() { prov phone resync "$@" 2>&1 | sed -E -f ports.sed; return "${PIPESTATUS[0]}"; }
  $ logs() { # what the collector got so far (FILE PORT, default syslog.log $SYSLOG)
  >   prov_syslog_drain "${1:-syslog.log}" "${2:-$SYSLOG}" | sed -E -f ports.sed \
  >     -e 's/^<([0-9]+)>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] /<\1>Mmm dd hh:mm:ss /'
  > }
  $ get() { prov phone get --state ph "$@"; }
  $ hits() { prov_nginx_sync $1 && grep -v 'GET /prov-sync-' "$TMP/nginx-$1/access.log" | wc -l; }

Two faults take the whole of their timeout (D-NET-4): a TFTP server that is
down (nothing answers on the port) and an HTTP server that accepts and then
says nothing. They run in the background on devices of their own, and are
looked at at the end.

  $ prov phone init --state down --mac 00:0e:08:00:00:01
  $ prov phone init --state silent --mac 00:0e:08:00:00:02
  $ start=$(date +%s)
  $ resync --state down "tftp://127.0.0.1:$CLOSED/basic.txt" > down.out & down_pid=$!
  $ resync --state silent "http://127.0.0.1:$SILENT/basic.txt" > silent.out & silent_pid=$!

The device: a CP-8841-3PCC that trusts the test CA, sending syslog to the
collector.

  $ prov phone init --state ph --mac 00:0e:08:AB:CD:EF --serial 88012BA01234 --ca "$TMP/pki/ca.pem"
  $ prov phone set --state ph "Syslog_Server=127.0.0.1:$SYSLOG"

Basic resync, TFTP resync (seed: "Basic Resync", "TFTP Resync")
----------------------------------------------------------------

basic.txt sets GPP_A, its value spread over two lines. Another TFTP client
fetches it first, as the seed says to:

  $ printf '<flat-profile>\n  <GPP_A> 12345678\n  </GPP_A>\n</flat-profile>\n' > $T/basic.txt
  $ tftp 127.0.0.1 $TFTP -m binary -c get basic.txt fetched.txt && cmp fetched.txt $T/basic.txt
  $ get GPP_A
  GPP_A=
  $ resync --state ph "tftp://127.0.0.1:$TFTP/basic.txt"
  rule X: tftp://127.0.0.1:$TFTP/basic.txt: ok, 61 bytes, 1 changed
  resync: ok
  $ get GPP_A
  GPP_A=12345678

Two syslog messages, request then outcome, RFC 3164 framed: <PRI> (facility
local0; severity notice: 133, a failure is err: 131), "Mmm dd hh:mm:ss",
then the message (D-LOG-1, D-LOG-2):

  $ prov_syslog_drain syslog.log $SYSLOG
  <133>[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync tftp://127\.0\.0\.1:[0-9]+/basic\.txt (re)
  <133>[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] CP-8841-3PCC 00:0e:08:ab:cd:ef -- Successful resync tftp://127\.0\.0\.1:[0-9]+/basic\.txt (re)

The seed's way to configure the collector is a profile: a device that has
none yet learns it from the resync itself, so that resync's outcome is
logged there already (its request went nowhere), and every later one in
full:

  $ prov phone init --state fresh --mac 00:0e:08:00:00:03
  $ printf '<flat-profile><Syslog_Server>127.0.0.1:%s</Syslog_Server></flat-profile>\n' $SYSLOG > $T/syslog.xml
  $ resync --state fresh "tftp://127.0.0.1:$TFTP/syslog.xml" | tail -1
  resync: ok
  $ resync --state fresh "tftp://127.0.0.1:$TFTP/syslog.xml" | tail -1
  resync: ok
  $ logs
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:00:00:03 -- Successful resync tftp://127.0.0.1:$TFTP/syslog.xml
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:00:00:03 -- Requesting resync tftp://127.0.0.1:$TFTP/syslog.xml
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:00:00:03 -- Successful resync tftp://127.0.0.1:$TFTP/syslog.xml

A large profile over TFTP (over 300 KB: hundreds of blocks, of whatever
size the server agrees to, D-NET-1):

  $ { echo '<flat-profile>'; for i in $(seq 6000); do echo "  <!-- line $i of padding, to make a large profile -->"; done; echo '  <GPP_F>large</GPP_F>'; echo '</flat-profile>'; } > $T/large.xml
  $ test $(wc -c < $T/large.xml) -gt 300000
  $ resync --state ph "tftp://127.0.0.1:$TFTP/large.xml"
  rule X: tftp://127.0.0.1:$TFTP/large.xml: ok, * bytes, 1 changed (glob)
  resync: ok
  $ get GPP_F
  GPP_F=large
  $ logs | grep -c Successful
  1

The messages are the Log_* templates, expanded; an empty one sends nothing
(D-LOG-2); Syslog_Identifier puts the chosen identity right after the
timestamp (D-LOG-1):

  $ prov phone set --state ph Log_Request_Msg= 'Log_Success_Msg=$PN $SN -- ok $SCHEME://$SERV$PATH PRVST=$PRVST' 'Syslog_Identifier=$MA'
  $ resync --state ph "tftp://127.0.0.1:$TFTP/basic.txt"
  rule X: tftp://127.0.0.1:$TFTP/basic.txt: ok, 61 bytes, 0 changed
  resync: ok
  $ logs
  <133>Mmm dd hh:mm:ss 000e08abcdef CP-8841-3PCC 88012BA01234 -- ok tftp://127.0.0.1/basic.txt PRVST=-1
  $ prov phone set --state ph Log_Success_Msg= Log_Failure_Msg= 'Syslog_Identifier=$SN'
  $ resync --state ph "tftp://127.0.0.1:$TFTP/basic.txt" > /dev/null
  $ resync --state ph "tftp://127.0.0.1:$TFTP/missing.txt" > /dev/null
  [1]
  $ logs
  $ prov phone set --state ph 'Log_Request_Msg=$PN $MAC -- Requesting resync $SCHEME://$SERVIP:$PORT$PATH' 'Log_Success_Msg=$PN $MAC -- Successful resync $SCHEME://$SERVIP:$PORT$PATH' 'Log_Failure_Msg=$PN $MAC -- Resync failed: $ERR' 'Syslog_Identifier=$MAU'
  $ resync --state ph "tftp://127.0.0.1:$TFTP/missing.txt"
  rule X: tftp://127.0.0.1:$TFTP/missing.txt: failed: tftp file not found
  resync failed: tftp file not found
  [1]
  $ logs
  <133>Mmm dd hh:mm:ss 000E08ABCDEF CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync tftp://127.0.0.1:$TFTP/missing.txt
  <131>Mmm dd hh:mm:ss 000E08ABCDEF CP-8841-3PCC 00:0e:08:ab:cd:ef -- Resync failed: tftp file not found
  $ prov phone set --state ph Syslog_Identifier=None

Debug_Server also receives the syslog messages, and Debug_Level adds
detail (D-LOG-1):

  $ prov_syslog "$PWD/debug.log" > debug.port
  $ prov phone set --state ph "Debug_Server=127.0.0.1:$(cat debug.port)" Debug_Level=3
  $ printf '<flat-profile>\n<GPP_A>new</GPP_A>\n<GPP_B>x</GPP_C>\n</flat-profile>\n' > $T/corrupt.xml
  $ resync --state ph "tftp://127.0.0.1:$TFTP/corrupt.xml"
  rule X: tftp://127.0.0.1:$TFTP/corrupt.xml: failed: bad profile at line 3 col 11
  resync failed: bad profile at line 3 col 11
  [1]
  $ logs
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync tftp://127.0.0.1:$TFTP/corrupt.xml
  <131>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Resync failed: bad profile at line 3 col 11
  $ logs debug.log $(cat debug.port)
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync tftp://127.0.0.1:$TFTP/corrupt.xml
  <135>Mmm dd hh:mm:ss resync: tftp://127.0.0.1:$TFTP/corrupt.xml: mismatched tag
  <131>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Resync failed: bad profile at line 3 col 11
  $ prov phone set --state ph Debug_Server= Debug_Level=0
  $ get GPP_A
  GPP_A=12345678

Unique profiles, macro expansion (seed: "Unique Profiles, Macro Expansion,
and HTTP")
-------------------------------------------------------------------------

A profile named for the device, $MA in the configured Profile_Rule:

  $ cp $T/basic.txt "$T/CP-8841-3PCC000e08abcdef.cfg"
  $ prov phone set --state ph GPP_A= 'Profile_Rule=tftp://127.0.0.1:'$TFTP'/CP-8841-3PCC$MA.cfg'
  $ resync --state ph
  rule A: tftp://127.0.0.1:$TFTP/CP-8841-3PCC000e08abcdef.cfg: ok, 61 bytes, 1 changed
  resync: ok
  $ logs
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync tftp://127.0.0.1:$TFTP/CP-8841-3PCC000e08abcdef.cfg
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Successful resync tftp://127.0.0.1:$TFTP/CP-8841-3PCC000e08abcdef.cfg

In a subdirectory named by GPP_B, on a non-standard port (every port here
is one), and $PN.cfg in /cisco/config, one profile each (two successes in
syslog, D-LOG-2):

  $ mkdir -p $T/cisco/Dj6Lmp23Q $T/cisco/config
  $ printf '<flat-profile><GPP_C>per-device</GPP_C></flat-profile>\n' > $T/cisco/Dj6Lmp23Q/000e08abcdef.cfg
  $ printf '<flat-profile><GPP_D>per-model</GPP_D></flat-profile>\n' > $T/cisco/config/CP-8841-3PCC.cfg
  $ prov phone set --state ph GPP_B=Dj6Lmp23Q 'Profile_Rule=tftp://127.0.0.1:'$TFTP'/cisco/$B/$MA.cfg' 'Profile_Rule_B=tftp://127.0.0.1:'$TFTP'/cisco/config/$PN.cfg'
  $ resync --state ph
  rule A: tftp://127.0.0.1:$TFTP/cisco/Dj6Lmp23Q/000e08abcdef.cfg: ok, 55 bytes, 1 changed
  rule B: tftp://127.0.0.1:$TFTP/cisco/config/CP-8841-3PCC.cfg: ok, 54 bytes, 1 changed
  resync: ok
  $ get GPP_C GPP_D
  GPP_C=per-device
  GPP_D=per-model
  $ logs | grep -c Successful
  2
  $ prov phone set --state ph Profile_Rule_B=

HTTP GET resync (seed: "HTTP GET Resync")
-----------------------------------------

  $ cp $T/basic.txt $W/basic.txt
  $ prov phone set --state ph GPP_A= "Profile_Rule=http://127.0.0.1:$HTTP/basic.txt"
  $ prov_nginx_mark $HTTP
  $ resync --state ph
  rule A: http://127.0.0.1:$HTTP/basic.txt: ok, 61 bytes, 1 changed
  resync: ok
  $ get GPP_A
  GPP_A=12345678
  $ logs
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync http://127.0.0.1:$HTTP/basic.txt
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Successful resync http://127.0.0.1:$HTTP/basic.txt

The server's log identifies the phone by its user agent (D-RUL-7):

  $ prov_nginx_since $HTTP
  127.0.0.1 "GET /basic.txt HTTP/1.1" 200 61 "Cisco-CP-8841-3PCC/11.3.1 (000e08abcdef)" "-" "-"

A host name is resolved, and $SERVIP is the address used (D-RUL-4), in the
request message too:

  $ resync --state ph "http://localhost:$HTTP/basic.txt"
  rule X: http://localhost:$HTTP/basic.txt: ok, 61 bytes, 0 changed
  resync: ok
  $ logs
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync http://127.0.0.1:$HTTP/basic.txt
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Successful resync http://127.0.0.1:$HTTP/basic.txt

HTTP credentials from the rule (D-RUL-3, D-RUL-6), and without them:

  $ printf '<flat-profile><GPP_E>private</GPP_E></flat-profile>\n' > $W/private/p.xml
  $ resync --state ph "[--uid prov --pwd s3cret] http://127.0.0.1:$HTTP/private/p.xml"
  rule X: http://127.0.0.1:$HTTP/private/p.xml: ok, 52 bytes, 1 changed
  resync: ok
  $ resync --state ph "http://127.0.0.1:$HTTP/private/p.xml"
  rule X: http://127.0.0.1:$HTTP/private/p.xml: failed: auth failed: 401
  resync failed: auth failed: 401
  [1]
  $ logs > /dev/null

A redirect is followed (D-RUL-6); a permanent one replaces the URL of a
macro-free configured rule:

  $ resync --state ph "http://127.0.0.1:$HTTP/redirect?to=/basic.txt"
  rule X: http://127.0.0.1:$HTTP/redirect?to=/basic.txt: ok, 61 bytes, 0 changed
  resync: ok
  $ prov phone set --state ph "Profile_Rule=http://127.0.0.1:$HTTP/redirect301?to=/basic.txt"
  $ resync --state ph
  rule A: http://127.0.0.1:$HTTP/redirect301?to=/basic.txt: ok, 61 bytes, 0 changed
  resync: ok
  $ get Profile_Rule | sed -E -f ports.sed
  Profile_Rule=http://127.0.0.1:$HTTP/basic.txt
  $ logs > /dev/null

Automatic resyncs (seed: "Resync a Device Automatically") are in agent.t.

Secure HTTPS resync (seed: "Secure HTTPS Resync")
-------------------------------------------------

Basic HTTPS: the server's certificate is checked against the device's trust
store (the test CA), by IP address and by name (D-NET-2):

  $ prov phone set --state ph GPP_A= "Profile_Rule=https://127.0.0.1:$HTTPS/basic.txt"
  $ resync --state ph
  rule A: https://127.0.0.1:$HTTPS/basic.txt: ok, 61 bytes, 1 changed
  resync: ok
  $ resync --state ph "https://localhost:$HTTPS/basic.txt"
  rule X: https://localhost:$HTTPS/basic.txt: ok, 61 bytes, 0 changed
  resync: ok
  $ logs | grep Successful
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Successful resync https://127.0.0.1:$HTTPS/basic.txt
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Successful resync https://127.0.0.1:$HTTPS/basic.txt

HTTPS with client certificate authentication: the server requires a
certificate from the test CA. A device with its MIC (D-NET-3: OU = product,
L = serial, ST = MAC) is let in, and the server sees who it is:

  $ prov phone init --state mic --mac 00:11:22:33:44:55 --serial FCH1234ABCD --ca "$TMP/pki/ca.pem" --cert "$TMP/pki/client.pem" --certkey "$TMP/pki/client.key"
  $ prov expand --state mic '$CCERT'
  Installed
  $ prov_nginx_mark $CLIENT
  $ resync --state mic "https://127.0.0.1:$CLIENT/basic.txt"
  rule X: https://127.0.0.1:$CLIENT/basic.txt: ok, 61 bytes, 1 changed
  resync: ok
  $ prov_nginx_since $CLIENT
  127.0.0.1 "GET /basic.txt HTTP/1.1" 200 61 "Cisco-CP-8841-3PCC/11.3.1 (001122334455)" "CN=CP-8841-3PCC SEP001122334455,OU=CP-8841-3PCC,O=Cisco Systems\x5C, Inc.,L=FCH1234ABCD,ST=001122334455,C=US" "-"
  $ prov phone get --state mic GPP_A
  GPP_A=12345678

A device without a certificate, or with one from another CA, is refused
(nginx answers 400) and applies nothing:

  $ prov expand --state ph '$CCERT'
  Not Installed
  $ prov phone set --state ph GPP_A=before
  $ prov_nginx_mark $CLIENT
  $ resync --state ph "https://127.0.0.1:$CLIENT/basic.txt"
  rule X: https://127.0.0.1:$CLIENT/basic.txt: failed: http_get failed: 400
  resync failed: http_get failed: 400
  [1]
  $ prov phone init --state mic2 --mac 00:11:22:33:44:55 --serial FCH1234ABCD --ca "$TMP/pki/ca.pem" --cert "$TMP/pki/client2.pem" --certkey "$TMP/pki/client2.key"
  $ resync --state mic2 "https://127.0.0.1:$CLIENT/basic.txt"
  rule X: https://127.0.0.1:$CLIENT/basic.txt: failed: http_get failed: 400
  resync failed: http_get failed: 400
  [1]
  $ get GPP_A; prov phone get --state mic2 GPP_A
  GPP_A=before
  GPP_A=
  $ prov_nginx_since $CLIENT 2 | cut -d' ' -f2-5
  "GET /basic.txt HTTP/1.1" 400
  "GET /basic.txt HTTP/1.1" 400
  $ logs
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync https://127.0.0.1:$CLIENT/basic.txt
  <131>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Resync failed: http_get failed: 400

Profile management (seed: "Profile Management")
-----------------------------------------------

Compressed with gzip; encrypted with openssl enc (OpenSSL 3's default key
derivation, SHA-256, and the MD5 one phones were tested with); compressed,
then encrypted. Told apart by content, not by name (D-ENC-1..5):

  $ gzip -c $T/basic.txt > $T/basic.txt.gz
  $ openssl enc -aes-256-cbc -k MyOwnSecret -in $T/basic.txt -out $T/basic.cfg 2>/dev/null
  $ openssl enc -aes-256-cbc -md md5 -k MyOwnSecret -in $T/basic.txt -out $T/basic-md5.cfg 2>/dev/null
  $ openssl enc -aes-256-cbc -k MyOwnSecret -in $T/basic.txt.gz -out $T/basicz.cfg 2>/dev/null
  $ for f in basic.txt.gz basic.cfg basic-md5.cfg basicz.cfg; do
  >   prov phone set --state ph GPP_A=
  >   resync --state ph "[--key MyOwnSecret ] tftp://127.0.0.1:$TFTP/$f"
  >   get GPP_A
  > done
  rule X: tftp://127.0.0.1:$TFTP/basic.txt.gz: ok, 73 bytes, 1 changed
  resync: ok
  GPP_A=12345678
  rule X: tftp://127.0.0.1:$TFTP/basic.cfg: ok, 80 bytes, 1 changed
  resync: ok
  GPP_A=12345678
  rule X: tftp://127.0.0.1:$TFTP/basic-md5.cfg: ok, 80 bytes, 1 changed
  resync: ok
  GPP_A=12345678
  rule X: tftp://127.0.0.1:$TFTP/basicz.cfg: ok, 96 bytes, 1 changed
  resync: ok
  GPP_A=12345678
  $ logs | grep -c Successful
  4

The key may come from GPP_SA ($SA, expanded in --key only) and is never
shown: not in syslog, status or get (D-ENC-3, D-PAR-5):

  $ prov phone set --state ph GPP_A= GPP_SA=MyOwnSecret
  $ prov phone set --state ph 'Profile_Rule=[--key $SA] tftp://127.0.0.1:'$TFTP'/basicz.cfg'
  $ resync --state ph
  rule A: tftp://127.0.0.1:$TFTP/basicz.cfg: ok, 96 bytes, 1 changed
  resync: ok
  $ { logs; prov phone status --state ph; get; } | grep -c MyOwnSecret
  0
  [1]
  $ get GPP_SA
  GPP_SA=********

Partitioned profiles: Profile_Rule, then Profile_Rule_B, in that order, the
later profile winning (D-RUL-1, D-PRO-4). Each profile fetched gets its own
request and outcome message, as in the exercises above (D-LOG-2: the
templates name one URL):

  $ printf '<flat-profile>\n  <GPP_A>12345678</GPP_A>\n  <GPP_B>ABCD</GPP_B>\n</flat-profile>\n' > $T/basic2.txt
  $ printf '<flat-profile><GPP_C>from B</GPP_C><GPP_D>from B</GPP_D></flat-profile>\n' > $W/b.xml
  $ printf '<flat-profile><GPP_D>from C</GPP_D></flat-profile>\n' > $W/c.xml
  $ prov phone set --state ph GPP_A= GPP_B= GPP_C= GPP_D= "Profile_Rule=tftp://127.0.0.1:$TFTP/basic.txt" "Profile_Rule_B=tftp://127.0.0.1:$TFTP/basic2.txt"
  $ resync --state ph
  rule A: tftp://127.0.0.1:$TFTP/basic.txt: ok, 61 bytes, 1 changed
  rule B: tftp://127.0.0.1:$TFTP/basic2.txt: ok, 79 bytes, 1 changed
  resync: ok
  $ get GPP_A GPP_B
  GPP_A=12345678
  GPP_B=ABCD
  $ logs
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync tftp://127.0.0.1:$TFTP/basic.txt
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Successful resync tftp://127.0.0.1:$TFTP/basic.txt
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync tftp://127.0.0.1:$TFTP/basic2.txt
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Successful resync tftp://127.0.0.1:$TFTP/basic2.txt

All four rules, over three protocols, the later winning; an empty rule is
skipped:

  $ prov phone set --state ph "Profile_Rule_B=http://127.0.0.1:$HTTP/b.xml" "Profile_Rule_C=" "Profile_Rule_D=https://127.0.0.1:$HTTPS/c.xml"
  $ resync --state ph
  rule A: tftp://127.0.0.1:$TFTP/basic.txt: ok, 61 bytes, 0 changed
  rule B: http://127.0.0.1:$HTTP/b.xml: ok, 72 bytes, 2 changed
  rule D: https://127.0.0.1:$HTTPS/c.xml: ok, 51 bytes, 1 changed
  resync: ok
  $ get GPP_C GPP_D
  GPP_C=from B
  GPP_D=from C
  $ prov phone status --state ph | grep -E '^rule_[A-D]' | sed -E -f ports.sed
  rule_A               tftp://127.0.0.1:$TFTP/basic.txt ok 61 bytes, 0 changed
  rule_B               http://127.0.0.1:$HTTP/b.xml ok 72 bytes, 2 changed
  rule_D               https://127.0.0.1:$HTTPS/c.xml ok 51 bytes, 1 changed
  $ logs > /dev/null

A failing rule stops the sequence; what earlier rules applied stays
(D-RUL-1):

  $ printf '<flat-profile><GPP_C>from B again</GPP_C></flat-profile>\n' > $W/b.xml
  $ prov phone set --state ph "Profile_Rule_C=http://127.0.0.1:$HTTP/status/500"
  $ resync --state ph
  rule A: tftp://127.0.0.1:$TFTP/basic.txt: ok, 61 bytes, 0 changed
  rule B: http://127.0.0.1:$HTTP/b.xml: ok, 57 bytes, 1 changed
  rule C: http://127.0.0.1:$HTTP/status/500: failed: http_get failed: 500
  resync failed: http_get failed: 500
  [1]
  $ get GPP_C
  GPP_C=from B again
  $ logs | tail -2
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync http://127.0.0.1:$HTTP/status/500
  <131>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Resync failed: http_get failed: 500
  $ prov phone set --state ph Profile_Rule_B= Profile_Rule_C= Profile_Rule_D=

Any XML through `--alias L`: GPP_L maps the document's elements to
parameters (D-RUL-3; alias.t has the rest):

  $ printf '<account>\n  <number>4085551234</number>\n</account>\n' > $T/account.xml
  $ prov phone set --state ph 'GPP_L=/account/number = /flat-profile/User_ID_1_'
  $ resync --state ph "[--alias l] tftp://127.0.0.1:$TFTP/account.xml"
  rule X: tftp://127.0.0.1:$TFTP/account.xml: ok, 51 bytes, 1 changed
  resync: ok
  $ get User_ID_1_
  User_ID_1_=4085551234
  $ logs | grep -c Successful
  1

File not found, both ways (D-RUL-5)
-----------------------------------

Resync_Fails_On_FNF = Yes (the default): TFTP's error 1 and HTTP's 404 fail
the resync:

  $ resync --state ph "tftp://127.0.0.1:$TFTP/nothere.cfg"
  rule X: tftp://127.0.0.1:$TFTP/nothere.cfg: failed: tftp file not found
  resync failed: tftp file not found
  [1]
  $ resync --state ph "http://127.0.0.1:$HTTP/nothere.cfg"
  rule X: http://127.0.0.1:$HTTP/nothere.cfg: failed: http file not found
  resync failed: http file not found
  [1]
  $ logs | grep -v Requesting
  <131>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Resync failed: tftp file not found
  <131>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Resync failed: http file not found

Resync_Fails_On_FNF = No: they count as success, nothing applied, and the
rules after go on:

  $ prov phone set --state ph Resync_Fails_On_FNF=No "Profile_Rule=tftp://127.0.0.1:$TFTP/nothere.cfg" "Profile_Rule_B=http://127.0.0.1:$HTTP/nothere.cfg" "Profile_Rule_C=http://127.0.0.1:$HTTP/b.xml"
  $ resync --state ph
  rule A: tftp://127.0.0.1:$TFTP/nothere.cfg: ok, 0 bytes, 0 changed
  rule B: http://127.0.0.1:$HTTP/nothere.cfg: ok, 0 bytes, 0 changed
  rule C: http://127.0.0.1:$HTTP/b.xml: ok, 57 bytes, 0 changed
  resync: ok
  $ logs > fnf.log; grep -c 'Resync failed' fnf.log; tail -1 fnf.log
  0
  <133>Mmm dd hh:mm:ss CP-8841-3PCC 00:0e:08:ab:cd:ef -- Successful resync http://127.0.0.1:$HTTP/b.xml
  $ prov phone set --state ph Resync_Fails_On_FNF=Yes Profile_Rule= Profile_Rule_B= Profile_Rule_C=

Faults: each fails with its own $ERR, applies nothing
-----------------------------------------------------

Every faulty profile below would set GPP_A to BAD; GPP_A stays "sentinel".
One line per fault: exit status, the result line, GPP_A, and the failure
syslog message's $ERR (D-LOG-3).

  $ prov phone set --state ph GPP_A=sentinel
  $ fault() {
  >   out=$(resync --state ph "$1"); st=$?
  >   out=$(printf '%s\n' "$out" | tail -1)
  >   printf '%s | %s | %s | %s\n' "$st" "$out" "$(get GPP_A)" "$(logs | sed -n 's/.*Resync failed: //p')"
  > }
  $ printf '<flat-profile><GPP_A>BAD</GPP_A></flat-profile>\n' > $W/bad.xml
  $ cp $W/bad.xml $W/bad.txt

Network and server:

  $ fault "http://prov-test.invalid/bad.xml"
  1 | resync failed: dns lookup failed | GPP_A=sentinel | dns lookup failed
  $ fault "http://127.0.0.1:$CLOSED/bad.xml"
  1 | resync failed: connection refused | GPP_A=sentinel | connection refused
  $ fault "http://127.0.0.1:$HTTP/missing.xml"
  1 | resync failed: http file not found | GPP_A=sentinel | http file not found
  $ fault "http://127.0.0.1:$HTTP/status/403"
  1 | resync failed: http_get failed: 403 | GPP_A=sentinel | http_get failed: 403
  $ fault "http://127.0.0.1:$HTTP/status/500"
  1 | resync failed: http_get failed: 500 | GPP_A=sentinel | http_get failed: 500
  $ fault "http://127.0.0.1:$HTTP/status/503"
  1 | resync failed: http_get failed: 503 | GPP_A=sentinel | http_get failed: 503
  $ fault "http://127.0.0.1:$HTTP/loop"
  1 | resync failed: too many redirects | GPP_A=sentinel | too many redirects
  $ fault "http://127.0.0.1:$TRUNC/bad.xml"
  1 | resync failed: transfer truncated | GPP_A=sentinel | transfer truncated

A TFTP error packet other than "file not found" is shown with the
server's own code and text: in.tftpd refuses a file it may not read with
code 0 (not defined) and the errno text:

  $ fault "tftp://127.0.0.1:$TFTP/noaccess.txt"
  1 | resync failed: tftp error 0: Permission denied | GPP_A=sentinel | tftp error 0: Permission denied

TLS: a server certificate from another CA, for another name, expired; a
plain HTTP server spoken to in TLS; an https URL redirected to http:

  $ fault "https://127.0.0.1:$OTHERCA/bad.xml"
  1 | resync failed: tls verify failed | GPP_A=sentinel | tls verify failed
  $ fault "https://127.0.0.1:$WRONGNAME/bad.xml"
  1 | resync failed: tls verify failed | GPP_A=sentinel | tls verify failed
  $ fault "https://127.0.0.1:$EXPIRED/bad.xml"
  1 | resync failed: tls verify failed | GPP_A=sentinel | tls verify failed
  $ fault "https://127.0.0.1:$HTTP/bad.xml"
  1 | resync failed: tls handshake failed | GPP_A=sentinel | tls handshake failed
  $ fault "https://127.0.0.1:$HTTPS/redirect?to=http://127.0.0.1:$HTTP/bad.xml"
  1 | resync failed: redirect refused | GPP_A=sentinel | redirect refused
  $ grep -c 'GET /bad.xml' $TMP/nginx-$HTTP/access.log
  0
  [1]

The profile: corrupt, not a profile at all, oversized, a decompression
bomb, a corrupt gzip stream, encrypted with another key or read without
one (D-PRO-5, D-PRO-7, D-ENC-3, D-ENC-4):

  $ printf '<flat-profile>\n<GPP_A>BAD</GPP_A>\n<GPP_B>x</GPP_C>\n</flat-profile>\n' > $W/corrupt.xml
  $ fault "http://127.0.0.1:$HTTP/corrupt.xml"
  1 | resync failed: bad profile at line 3 col 11 | GPP_A=sentinel | bad profile at line 3 col 11
  $ printf '<html><body><GPP_A>BAD</GPP_A></body></html>\n' > $W/noprofile.xml
  $ fault "http://127.0.0.1:$HTTP/noprofile.xml" | cut -d'|' -f1,3
  1 | GPP_A=sentinel 
  $ { echo '<flat-profile><GPP_A>BAD</GPP_A>'; head -c 5000000 /dev/zero | tr '\0' ' '; echo '</flat-profile>'; } > $W/big.xml
  $ fault "http://127.0.0.1:$HTTP/big.xml"
  1 | resync failed: profile too large | GPP_A=sentinel | profile too large
  $ { cat $W/bad.xml; head -c 50000000 /dev/zero; } | gzip -1 > $W/bomb.gz
  $ fault "http://127.0.0.1:$HTTP/bomb.gz"
  1 | resync failed: profile too large | GPP_A=sentinel | profile too large
  $ gzip -c $W/bad.xml | head -c 30 > $W/truncated.gz
  $ fault "http://127.0.0.1:$HTTP/truncated.gz"
  1 | resync failed: gzip: truncated stream | GPP_A=sentinel | gzip: truncated stream
  $ gzip -c $W/bad.xml > $W/crc.gz; printf '\0\0\0\0' | dd of=$W/crc.gz bs=1 seek=$(($(wc -c < $W/crc.gz) - 8)) conv=notrunc status=none
  $ fault "http://127.0.0.1:$HTTP/crc.gz"
  1 | resync failed: gzip: CRC mismatch | GPP_A=sentinel | gzip: CRC mismatch
  $ gzip -c $W/bad.xml | openssl enc -aes-256-cbc -k MyOwnSecret -out $W/bad.cfg 2>/dev/null
  $ fault "[--key NotMySecret] http://127.0.0.1:$HTTP/bad.cfg"
  1 | resync failed: decrypt failed | GPP_A=sentinel | decrypt failed
  $ fault "http://127.0.0.1:$HTTP/bad.cfg"
  1 | resync failed: decrypt failed | GPP_A=sentinel | decrypt failed
  $ fault "[--key MyOwnSecret] http://127.0.0.1:$HTTP/bad.cfg"
  0 | resync: ok | GPP_A=BAD | 
  $ prov phone set --state ph GPP_A=sentinel

Invalid parameter values are rejected one by one, keep their previous
value, and are counted; the rest of the profile applies and the resync
succeeds (D-PAR-3). Unknown names are kept for status (D-PAR-4):

  $ printf '<flat-profile><GPP_D>fine</GPP_D><Resync_Periodic>soon</Resync_Periodic><Resync_Random_Delay>70000</Resync_Random_Delay><Resync_Periodc>30</Resync_Periodc></flat-profile>\n' > $W/invalid.xml
  $ resync --state ph "http://127.0.0.1:$HTTP/invalid.xml"
  rule X: http://127.0.0.1:$HTTP/invalid.xml: ok, 171 bytes, 1 changed, rejected some values
  resync: ok
  $ get GPP_D Resync_Periodic Resync_Random_Delay
  GPP_D=fine
  Resync_Periodic=3600
  Resync_Random_Delay=2
  $ prov phone status --state ph | grep unknown
  unknown parameters   1
  $ prov phone unknown --state ph
  Resync_Periodc

The status keeps the last result and $ERR (D-STA-1):

  $ fault "http://127.0.0.1:$HTTP/status/500" > /dev/null
  $ prov phone status --state ph | grep -E '^(last_resync_(result|err)|rule_X) ' | sed -E -f ports.sed
  last_resync_result   failure
  last_resync_err      http_get failed: 500
  rule_X               http://127.0.0.1:$HTTP/status/500 failed 0 bytes, 0 changed: http_get failed: 500
  $ prov phone status --state ph --json | grep -o '"last_resync_err":"[^"]*"'
  "last_resync_err":"http_get failed: 500"

Provision_Enable = No refuses even an explicit resync, and fetches nothing
(D-SCH-8):

  $ n=$(hits $HTTP)
  $ prov phone set --state ph Provision_Enable=No
  $ resync --state ph "http://127.0.0.1:$HTTP/bad.xml"
  resync failed: provisioning disabled (Provision_Enable = No)
  [1]
  $ test "$(hits $HTTP)" = "$n" && get GPP_A
  GPP_A=sentinel
  $ prov phone set --state ph Provision_Enable=Yes

Bad rules and usage:

  $ resync --state ph '(1 eq) http://127.0.0.1/x'
  rule X: (no fetch): failed: bad rule X col *: * (glob)
  resync failed: bad rule X col *: * (glob)
  [1]
  $ resync --state ph a b
  prov: phone resync: expected at most one RULE (see 'prov phone resync --help')
  [2]
  $ resync --state nowhere
  prov: phone resync: nowhere: no device here (create one with `prov phone init`)
  [2]

The two slow faults from the start: the TFTP server that is down, and the
HTTP server that never answers, each within its timeout (D-NET-4), and
nothing applied:

  $ wait $down_pid; echo $?; wait $silent_pid; echo $?
  1
  1
  $ cat down.out silent.out
  rule X: tftp://127.0.0.1:$CLOSED/basic.txt: failed: tftp server not responding
  resync failed: tftp server not responding
  rule X: http://127.0.0.1:$SILENT/basic.txt: failed: timeout
  resync failed: timeout
  $ secs=$(($(date +%s) - start)); test $secs -ge 10 -a $secs -le 70 || echo "took $secs s"
  $ prov phone get --state down GPP_A; prov phone get --state silent GPP_A
  GPP_A=
  GPP_A=
