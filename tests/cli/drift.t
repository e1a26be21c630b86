Reports and drift (server.md S-SRV-4, S-SEC-1, S-SEC-2; interfaces.md
"Feedback, push, onboarding"): three `prov phone run` agents resync a
profile `prov serve` renders for each, and upload their reports to the
server's report route (Report_To_Server "On Local Change"). `prov device
drift` compares the server's current rendering with the last report: a
changed variable makes drift appear, a resync and its report make it
disappear. Then the refusals: an unknown device (as a missing file,
counted), a body that is no profile, one too large; encrypted reports
(openssl-enc as `prov pack --key`, RFC 8188 aes128gcm) and TFTP write; a
report carrying a secret's value (compared, never printed).

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ DB=$(prov_db serve)
  $ R=$PROV_TMP/root && mkdir -p $R
  $ cat > t.xml <<'X'
  > <flat-profile>
  > <Display_Name_1_>$NAME</Display_Name_1_>
  > <User_ID_1_>$MA</User_ID_1_>
  > <Password_1_>$PASS</Password_1_>
  > <Report_Rule>http://$SERVIP:$PORT/report/$MA.xml</Report_Rule>
  > <Report_To_Server>on local change</Report_To_Server>
  > <Resync_Periodic>86400</Resync_Periodic>
  > </flat-profile>
  > X
  $ prov template set base t.xml --db $DB
  $ for n in 1 2 3; do prov device add 00:0e:08:00:00:0$n --db $DB --set NAME=phone-$n --set PASS=pw-$n || break; done
  $ prov_serve $R --route '/$MA.xml template=base' --route '/report/$MA.xml report' --log-level info
  $ H=$PROV_SERVE_HTTP

The agents, on a clock ten times faster (the report of a local change
goes out 5 s of device time after it); each has its admin page, for the
resync later:

  $ declare -A agent
  $ for n in 1 2 3; do
  >   prov phone init --state p$n --mac 00:0e:08:00:00:0$n &&
  >   prov phone set --state p$n Resync_Random_Delay=0 'Admin_Password=adm' \
  >     "Profile_Rule=http://127.0.0.1:$H/\$MA.xml" || break
  >   prov phone run --state p$n --time-scale 10 --admin 127.0.0.1:0 > p$n.out 2> p$n.err & agent[$n]=$!
  > done
  $ reported() { # N: wait until N devices have a report with no drift
  >   local i; for i in $(seq 400); do
  >     [ "$(prov device list --db $DB | grep -c ' drift 0$')" -ge "$1" ] && return; sleep 0.05
  >   done; echo "timeout"; prov device list --db $DB; cat p*.err
  > }
  $ reported 3
  $ prov device list --db $DB
  000e08000001 - - - enabled drift 0
  000e08000002 - - - enabled drift 0
  000e08000003 - - - enabled drift 0

Each report is stored with what the server rendered from: the template
the device's profile route names. Nothing differs ("on local change" is
the device's "On Local Change"; the password is kept back by the phone,
so it is not compared):

  $ prov device drift 000e08000002 --db $DB | sed -E 's/of [0-9TZ:.-]+ \(http, [0-9]+ /of TIME (http, N /'
  000e08000002: report of TIME (http, N parameters), template base: 0 differ
  $ grep -c 'report of 000e08000002 stored' $PROV_SERVE_LOG
  1

A changed variable makes drift appear, for that device only:

  $ prov var set --device 000e08000002 NAME=reception --db $DB
  $ prov device drift 000e08000002 --db $DB | tail -n +2
  Display_Name_1_: server "reception", device "phone-2"
  $ prov device drift 000e08000002 --db $DB --json | sed -E 's/"report_ms":[0-9]+/"report_ms":T/'
  {"mac":"000e08000002","report_ms":T,"template":"base","drift":[{"name":"Display_Name_1_","server":"reception","device":"phone-2","secret":false}]}
  $ prov device list --db $DB
  000e08000001 - - - enabled drift 0
  000e08000002 - - - enabled drift 1
  000e08000003 - - - enabled drift 0
  $ prov device list --db $DB --json | grep 000e08000002
  {"mac":"000e08000002","product":null,"group":null,"serial":null,"enabled":true,"notes":null,"key":null,"key_id":1,"http_user":null,"http_password":null,"drift":1}

A resync (from the phone's admin page) fetches the new profile, the
change is reported, and the drift is gone:

  $ PORT=$(sed -n 's/.*admin web on port //p' p2.err)
  $ curl -s --digest -u admin:adm -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT/admin/resync"
  200
  $ reported 3
  $ prov device drift 000e08000002 --db $DB | tail -n +2
  $ prov phone get --state p2 Display_Name_1_
  Display_Name_1_=reception
  $ grep -c 'report of 000e08000002 stored' $PROV_SERVE_LOG
  2

The agents stop:

  $ for n in 1 2 3; do kill -TERM ${agent[$n]}; done; for n in 1 2 3; do wait ${agent[$n]}; echo "exit $?"; done
  exit 0
  exit 0
  exit 0

Reports for a device the server does not know get the answer of a
missing file, are counted as misses of the enumeration defence and in
/metrics; a report names the device by the path's MAC:

  $ printf '<flat-profile><Display_Name_1_>x</Display_Name_1_></flat-profile>' > r.xml
  $ curl -s -o /dev/null -w '%{http_code}\n' -T r.xml http://127.0.0.1:$H/report/000e08000009.xml
  404
  $ curl -s http://127.0.0.1:$H/metrics | grep -E '^prov_reports_(unknown|stored)_total'
  prov_reports_stored_total 4
  prov_reports_unknown_total 1

Bad bodies store nothing: not a profile (400, the parser's reason in the
server's log), and larger than 2 MiB (413: before the body is read when
its length is announced, after it when it is chunked):

  $ printf 'not <xml' | curl -s -o /dev/null -w '%{http_code}\n' --data-binary @- http://127.0.0.1:$H/report/000e08000001.xml
  400
  $ grep -o 'report of 000e08000001 refused: .*' $PROV_SERVE_LOG
  report of 000e08000001 refused: not a flat profile: report:1:* (glob)
  $ head -c 3000000 /dev/zero > big && curl -s -o /dev/null -w '%{http_code}\n' -T big http://127.0.0.1:$H/report/000e08000001.xml
  413
  $ curl -s -o /dev/null -w '%{http_code}\n' -T - http://127.0.0.1:$H/report/000e08000001.xml < big
  413
  $ prov device drift 000e08000001 --db $DB | tail -n +2

Encrypted with the device's key as `prov pack --key` (and Report_Rule's
--key) makes it, gzip too, or as RFC 8188 aes128gcm (no header needed:
the authentication tells it apart); over TFTP write as well. A report
that carries a secret's value is compared, never printed:

  $ K=$(prov device key 000e08000001 --db $DB)
  $ rendered() { prov device render $1 /$1.xml --template base --db $DB | sed "s/\$SERVIP:\$PORT/127.0.0.1:$H/; s/on local change/On Local Change/"; }
  $ rendered 000e08000001 | sed 's/phone-1/gz/; s/pw-1/guess/' > s.xml
  $ prov pack --gzip --key "$K" s.xml -o s.enc
  $ curl -s -o /dev/null -w '%{http_code}\n' --data-binary @s.enc http://127.0.0.1:$H/report/000e08000001.xml
  204
  $ prov device drift 000e08000001 --db $DB | sed -E 's/of [0-9TZ:.-]+ /of TIME /'
  000e08000001: report of TIME (http, 6 parameters), template base: 2 differ
  Display_Name_1_: server "phone-1", device "gz"
  Password_1_: (secret differs)
  $ prov device drift 000e08000001 --db $DB --json | grep -c 'guess\|pw-1'
  0
  [1]
  $ prov device timeline 000e08000001 --db $DB | grep ' report ' | tail -1 | sed -E 's/^[^ ]+ //; s/:[0-9]+$/:P/'
  report         http 6 parameters, aes+gzip from 127.0.0.1:P
  $ rendered 000e08000001 > ok.xml
  $ prov pack --aes128gcm "$K" --keyid 1 ok.xml -o ok.ece
  $ curl -s -o /dev/null -w '%{http_code}\n' -X PUT --data-binary @ok.ece http://127.0.0.1:$H/report/000e08000001.xml
  204
  $ prov device drift 000e08000001 --db $DB | tail -n +2
  $ prov pack --key wrong-key ok.xml -o bad.enc
  $ curl -s -o /dev/null -w '%{http_code}\n' --data-binary @bad.enc http://127.0.0.1:$H/report/000e08000001.xml
  400

Over TFTP, a report encrypted with another device's key is refused with
the reason; with its own key it is stored ($PORT stays as written over
TFTP, as in the profile a TFTP fetch gets):

  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m octet -c put s.enc report/000e08000003.xml
  Error code 4: cannot decode: decrypt failed: * (glob)
  $ rendered 000e08000003 | sed 's/phone-3/gz/' > s3.xml && prov pack --key "$(prov device key 000e08000003 --db $DB)" s3.xml -o s3.enc
  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m octet -c put s3.enc report/000e08000003.xml
  $ prov device drift 000e08000003 --db $DB | sed -E 's/of [0-9TZ:.-]+ /of TIME /; s/:[0-9]+\//:H\//'
  000e08000003: report of TIME (tftp, 6 parameters), template base: 2 differ
  Display_Name_1_: server "phone-3", device "gz"
  Report_Rule: server "http://127.0.0.1:$PORT/report/000e08000003.xml", device "http://127.0.0.1:H/report/000e08000003.xml"
  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m octet -c put s.enc report/000e08000007.xml
  Error code 1: no such file
  $ curl -s http://127.0.0.1:$H/metrics | grep -E '^prov_reports_[a-z]+_total'
  prov_reports_stored_total 7
  prov_reports_unknown_total 2
  prov_reports_refused_total 0
  prov_reports_bad_total 5

A device never reported, an unknown one:

  $ prov device add 000e08000004 --db $DB
  $ prov device drift 000e08000004 --db $DB
  prov: device drift: 000e08000004: no report received
  [1]
  $ prov device drift 000e08000099 --db $DB
  prov: device drift: 000e08000099: not in the inventory
  [1]
  $ prov device drift nonsense --db $DB
  prov: device drift: 'nonsense' is not a MAC (12 hex digits) (see 'prov device drift --help')
  [2]

A report route needs $MA or a certificate:

  $ prov serve --root $R --route '/report.xml report' --check
  prov: serve: --route: route '/report.xml report': a pattern without $MA names the device by its certificate: add require=cert
  [2]
  $ prov serve --root $R --route '/r/$MA.xml report gzip' --check
  prov: serve: --route: route '/r/$MA.xml report gzip': unknown word 'gzip' for a report route (report, require=cert)
  [2]
