Reports (D-REP-1, D-PAR-5, D-ENC-2): `prov phone report` and `prov phone
run` upload the device's parameters or status to `prov serve --upload`
over HTTP POST, HTTP PUT and TFTP write, in clear and encrypted with
--key; the uploads are checked with `prov unpack`, `openssl enc -d` and
`prov lint`, and the server's history shows the method used. Then a
server that refuses uploads, and the agent's triggers: SIP NOTIFY report
(sipp as the proxy), a local change, and the periodic report.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ R=$PROV_TMP/root U=$PROV_TMP/up && mkdir -p $R $U && chmod 755 $PROV_TMP $R
  $ prov_serve $R --upload $U
  $ H=$PROV_SERVE_HTTP T=$PROV_SERVE_TFTP
  $ report() { prov phone report --state ph "$@" | sed -e "s/:$H\//:\$H\//" -e "s/:$T\//:\$T\//"; return "${PIPESTATUS[0]}"; }
  $ methods() { # the upload requests in the server's history, oldest first
  >   for i in $(seq 200); do [ "$(prov log --db $(prov_db serve) | grep -c -E ' (PUT|POST|WRQ) ')" -ge "$1" ] && break; sleep 0.05; done
  >   prov log --db $(prov_db serve) | awk '$4 ~ /^(PUT|POST|WRQ)$/ {print $3, $4, $5, $9}'
  > }

The phone has secrets (a line password, GPP_SA, the admin password) that
must never leave it:

  $ prov phone init --state ph --mac 00:0e:08:AB:CD:EF --serial 88012BA01234
  $ prov phone set --state ph User_ID_1_=1001 Password_1_=pw-line-one GPP_SA=sa-secret Admin_Password=adm-secret GPP_A='a&b<c>'

Full report, HTTP POST (the default HTTP_Report_Method), macros in the URL:

  $ prov phone set --state ph "Report_Rule=http://127.0.0.1:$H/full-\$MA.xml"
  $ report
  report: http://127.0.0.1:$H/full-000e08abcdef.xml: ok, * bytes (full) (glob)
  $ prov lint $U/full-000e08abcdef.xml
  $ grep -c -E 'pw-line-one|sa-secret|adm-secret' $U/full-000e08abcdef.xml
  0
  [1]
  $ grep -E '<(Password_1_|GPP_SA|Admin_Password|GPP_A|User_ID_1_|HTTP_Report_Method)( |>)' $U/full-000e08abcdef.xml
    <HTTP_Report_Method ua="na">POST</HTTP_Report_Method>
    <GPP_A ua="na">a&amp;b&lt;c&gt;</GPP_A>
    <GPP_SA ua="na"/>
    <Admin_Password ua="na"/>
    <User_ID_1_ ua="na">1001</User_ID_1_>
    <Password_1_ ua="na"/>
  $ test "$(grep -c '^  <' $U/full-000e08abcdef.xml)" -eq "$(prov phone get --state ph | wc -l)" && echo every parameter
  every parameter

Served back as a profile, it keeps the secrets set (a self-closing
element keeps the value, D-PRO-2; the exact values are checked in
tests/unit/test_report.c):

  $ prov phone apply --state ph $U/full-000e08abcdef.xml > /dev/null
  $ prov phone get --state ph Password_1_ GPP_SA GPP_A
  Password_1_=********
  GPP_SA=********
  GPP_A=a&b<c>

--delta with --key, HTTP PUT: encrypted as `prov pack --key` does, read
back by prov unpack and by openssl; the wrong key fails:

  $ prov phone set --state ph HTTP_Report_Method=PUT
  $ report '[--key "rep key" --delta] http://127.0.0.1:'$H'/delta.xml'
  report: http://127.0.0.1:$H/delta.xml: ok, * bytes (delta, encrypted) (glob)
  $ head -c 8 $U/delta.xml; echo
  Salted__
  $ prov unpack --key 'rep key' $U/delta.xml -o delta.plain && sed "s/:$H\//:\$H\//" delta.plain
  <?xml version="1.0" encoding="UTF-8"?>
  <!-- prov delta report of 00:0e:08:ab:cd:ef CP-8841-3PCC sip88xx.11-3-1MPP-123; secrets are not reported -->
  <flat-profile>
    <Report_Rule ua="na">http://127.0.0.1:$H/full-$MA.xml</Report_Rule>
    <HTTP_Report_Method ua="na">PUT</HTTP_Report_Method>
    <GPP_A ua="na">a&amp;b&lt;c&gt;</GPP_A>
    <GPP_SA ua="na"/>
    <Admin_Password ua="na"/>
    <User_ID_1_ ua="na">1001</User_ID_1_>
    <Password_1_ ua="na"/>
  </flat-profile>
  $ prov lint delta.plain
  $ openssl enc -d -aes-256-cbc -md md5 -k 'rep key' -in $U/delta.xml 2>/dev/null | cmp - delta.plain
  $ prov unpack --key wrong $U/delta.xml -o /dev/null
  prov: unpack: * (glob)
  [1]

The key may come from GPP_SB ($SB expands only inside --key):

  $ prov phone set --state ph GPP_SB=from-sb
  $ report '[--key $SB] http://127.0.0.1:'$H'/sb.xml' > /dev/null
  $ prov unpack --key from-sb $U/sb.xml | prov lint -

--status and a full report in one rule, over TFTP write (WRQ):

  $ report "[--status] tftp://127.0.0.1:$T/status.xml [--key k2] tftp://127.0.0.1:$T/full.enc"
  report: tftp://127.0.0.1:$T/status.xml: ok, * bytes (status) (glob)
  report: tftp://127.0.0.1:$T/full.enc: ok, * bytes (full, encrypted) (glob)
  $ grep -E '<(status|MAC|SN|PN|last_report_result)>' $U/status.xml
  <status>
    <MAC>00:0e:08:ab:cd:ef</MAC>
    <SN>88012BA01234</SN>
    <PN>CP-8841-3PCC</PN>
    <last_report_result>success</last_report_result>
  $ python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1]); print("well-formed")' $U/status.xml
  well-formed
  $ prov unpack --key k2 $U/full.enc | prov lint -
  $ methods 5
  http POST 201 /full-000e08abcdef.xml
  http PUT 201 /delta.xml
  http PUT 201 /sb.xml
  tftp WRQ 200 status.xml
  tftp WRQ 200 full.enc

Over HTTPS, to a second `prov serve` with the test PKI's server
certificate, from a phone that trusts the test CA; a phone that does not
fails the handshake:

  $ prov_test_ca $PROV_TMP/pki > /dev/null
  $ prov_serve $R --upload $U --https 127.0.0.1:0 --cert $PROV_TMP/pki/server.pem --key $PROV_TMP/pki/server.key
  $ S=$PROV_SERVE_HTTPS
  $ prov phone init --state ph2 --mac 00:0e:08:00:00:02 --ca $PROV_TMP/pki/ca.pem
  $ prov phone report --state ph2 "[--key k3] https://127.0.0.1:$S/tls.xml" | sed "s/:$S\//:\$S\//"
  report: https://127.0.0.1:$S/tls.xml: ok, * bytes (full, encrypted) (glob)
  $ prov unpack --key k3 $U/tls.xml | prov lint -
  $ prov phone report --state ph "https://127.0.0.1:$S/untrusted.xml" | sed "s/:$S\//:\$S\//"
  report: https://127.0.0.1:$S/untrusted.xml: failed: tls verify failed
  $ test -e $U/untrusted.xml || echo not stored
  not stored

A server that takes no uploads (prov serve without --upload) refuses
cleanly: each item fails with its reason, exit 1, a status to match:

  $ prov_serve $R
  $ H2=$PROV_SERVE_HTTP T2=$PROV_SERVE_TFTP
  $ prov phone report --state ph "http://127.0.0.1:$H2/no.xml tftp://127.0.0.1:$T2/no.xml" | sed -e "s/:$H2\//:\$H2\//" -e "s/:$T2\//:\$T2\//"; echo "exit ${PIPESTATUS[0]}"
  report: http://127.0.0.1:$H2/no.xml: failed: http_put failed: 403
  report: tftp://127.0.0.1:$T2/no.xml: failed: tftp error 2: uploads not accepted
  exit 1
  $ prov phone status --state ph | grep -E '^last_report_(result|err)'
  last_report_result   failure
  last_report_err      http_put failed: 403
  $ prov phone report --state ph "http://127.0.0.1:$(prov_free_port)/x.xml" | sed 's/:[0-9]*\/x/:PORT\/x/'
  report: http://127.0.0.1:PORT/x.xml: failed: connection refused
  $ prov phone report --state ph '[--uid u] http://h/x.xml'
  report: -: failed: bad report rule col 2: unknown option '--uid'
  [1]
  $ prov phone set --state ph Report_Rule=
  $ prov phone report --state ph
  report failed: no report rule (Report_Rule is empty)
  [1]
  $ prov phone report --state ph a b
  prov: phone report: expected at most one RULE (see 'prov phone report --help')
  [2]

The agent: SIP NOTIFY Event: report (line 1's digest, sipp as the proxy)
sends Report_Rule; On Local Change reports a `prov phone set` a moment
later; Periodically every Periodic_Upload_To_Server seconds (600, the
least, is a second on a clock 600 times faster):

  $ prov phone set --state ph Resync_On_Reset=No Profile_Rule= "Report_Rule=[--delta] http://127.0.0.1:$H/agent.xml"
  $ prov phone run --state ph --sip 127.0.0.1:0 --time-scale 600 2> phone.log & phone=$!
  $ for i in $(seq 200); do grep -qs 'SIP on port' phone.log && break; sleep 0.05; done
  $ SIP=$(sed -n 's/.*SIP on port \([0-9]*\)$/\1/p' phone.log)
  $ sed 's/Event: check-sync/Event: report/' "$TESTDIR_SRC/../integration/sipp/notify.xml" > notify-report.xml
  $ prov_sipp -sf notify-report.xml -m 1 -s 1001 -au 1001 -ap pw-line-one 127.0.0.1:$SIP -timeout 8s -nostdin >/dev/null 2>&1; echo "sipp exit $?"
  sipp exit 0
  $ for i in $(seq 200); do grep -qs 'report (sip)' phone.log && break; sleep 0.05; done
  $ grep -o 'report (sip): .*' phone.log | sed "s/:$H\//:\$H\//;s/, [0-9]* bytes/, N bytes/"
  report (sip): http://127.0.0.1:$H/agent.xml: ok, N bytes
  $ grep -c GPP_D $U/agent.xml
  0
  [1]
  $ prov phone set --state ph Report_To_Server="On Local Change" GPP_D=changed-here
  $ for i in $(seq 200); do grep -qs 'report (local change)' phone.log && break; sleep 0.05; done
  $ grep GPP_D $U/agent.xml
    <GPP_D ua="na">changed-here</GPP_D>
  $ grep -c 'report (local change)' phone.log
  1
  $ prov phone set --state ph Report_To_Server=Periodically Periodic_Upload_To_Server=600
  $ for i in $(seq 300); do [ "$(grep -c 'report (periodic)' phone.log)" -ge 2 ] && break; sleep 0.05; done
  $ test "$(grep -c 'report (periodic).*: ok' phone.log)" -ge 2 && echo periodic
  periodic
  $ kill -TERM $phone; wait $phone
  $ grep -c 'report.*failed' phone.log
  0
  [1]
