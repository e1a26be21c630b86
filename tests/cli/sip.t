SIP NOTIFY end to end (D-TRG-3, R-NOTIFY): `prov phone run --sip` as the
phone, sipp (Debian sip-tester) as the proxy sending NOTIFY Event:
check-sync with line 1's digest, and `prov serve` as the provisioning
server the resync fetches from.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ R=$PROV_TMP/root && mkdir -p $R && chmod 755 $PROV_TMP $R
  $ printf '<flat-profile><GPP_A>from-sip</GPP_A></flat-profile>\n' > $R/p.xml && chmod 644 $R/p.xml
  $ prov_serve $R
  $ prov phone init --state ph --mac 00:11:22:33:44:55
  $ prov phone set --state ph User_ID_1_=1001 Password_1_=s3cret Resync_From_SIP=Yes Resync_On_Reset=No "Profile_Rule=http://127.0.0.1:$PROV_SERVE_HTTP/p.xml"
  $ prov phone run --state ph --sip 127.0.0.1:0 2> phone.log & phone=$!
  $ for i in $(seq 100); do grep -qs 'SIP on port' phone.log && break; sleep 0.05; done
  $ SIP=$(sed -n 's/.*SIP on port \([0-9]*\)$/\1/p' phone.log)
  $ sippnotify() { # SCENARIO PASS
  >   prov_sipp -sf "$TESTDIR_SRC/../integration/sipp/$1" -m 1 -s 1001 -au 1001 -ap "$2" \
  >     127.0.0.1:$SIP -timeout 8s -nostdin >/dev/null 2>&1; echo "sipp exit $?"
  > }

A wrong password gets 403 and nothing happens:

  $ sippnotify notify-wrong-password.xml wrong
  sipp exit 0
  $ prov phone get --state ph GPP_A
  GPP_A=

The right one: 401, then 200, and the phone resyncs from prov serve:

  $ sippnotify notify.xml s3cret
  sipp exit 0
  $ for i in $(seq 100); do prov phone get --state ph GPP_A | grep -q from-sip && break; sleep 0.05; done
  $ prov phone get --state ph GPP_A
  GPP_A=from-sip
  $ grep -c 'SIP resync$' phone.log
  1
  $ kill -TERM $phone; wait $phone
