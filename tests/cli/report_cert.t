Reports over HTTPS with client certificates (server.md S-SRV-4, S-SEC-1):
a report route names the device by $MA in its path, or, with
require=cert, by the verified client certificate; a path naming another
MAC than the certificate is refused (403, counted), and so is a
require=cert route without a certificate. `prov phone report` with the
test MIC is the phone; curl with another phone's certificate is the
attacker.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ P=$PROV_TMP/pki && prov_test_ca $P > /dev/null
  $ openssl req -config $P/openssl.cnf -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other.key -out other.csr -subj "/C=US/ST=000e08abcdef/L=FCH9/OU=CP-8841-3PCC/CN=CP-8841-3PCC SEP000e08abcdef" 2>/dev/null
  $ openssl x509 -req -in other.csr -CA $P/ca.pem -CAkey $P/ca.key -set_serial 0x1234 -days 30 -sha256 -extfile $P/openssl.cnf -extensions client -out other.pem 2>/dev/null
  $ DB=$(prov_db serve) R=$PROV_TMP/root && mkdir -p $R
  $ prov device add 001122334455 --product CP-8841-3PCC --set USER=1002 --db $DB
  $ prov device add 000e08abcdef --product CP-8841-3PCC --set USER=1001 --db $DB
  $ printf '<flat-profile>\n<User_ID_1_>$USER</User_ID_1_>\n</flat-profile>\n' > main.xml
  $ prov template set main main.xml --db $DB
  $ prov_serve $R --https 127.0.0.1:0 --cert $P/server.pem --key $P/server.key --client-ca $P/ca.pem --route '/cfg.xml template=main require=cert' --route '/report/$MA.xml report' --route '/mine.xml report require=cert'
  $ S=$PROV_SERVE_HTTPS H=$PROV_SERVE_HTTP

The phone reports with its certificate, to its own path and to the path
that names no device:

  $ prov phone init --state ph --mac 00:11:22:33:44:55 --serial FCH1234ABCD --ca $P/ca.pem --cert $P/client.pem --certkey $P/client.key
  $ prov phone set --state ph User_ID_1_=1002
  $ prov phone report --state ph "https://127.0.0.1:$S/report/001122334455.xml" | sed "s/:$S\//:S\//"
  report: https://127.0.0.1:S/report/001122334455.xml: ok, * bytes (full) (glob)
  $ prov phone report --state ph "https://127.0.0.1:$S/mine.xml" | sed "s/:$S\//:S\//"
  report: https://127.0.0.1:S/mine.xml: ok, * bytes (full) (glob)
  $ prov device drift 001122334455 --db $DB --template main | sed -E 's/of [0-9TZ:.-]+ /of TIME /'
  001122334455: report of TIME (https, * parameters), template main: 0 differ (glob)

With another phone's certificate, a report naming this phone is refused;
the certificate's own device may report through the route that needs
one; without a certificate that route refuses:

  $ printf '<flat-profile><User_ID_1_>evil</User_ID_1_></flat-profile>' > evil.xml
  $ curl -s -k --cert other.pem --key other.key -o /dev/null -w '%{http_code}\n' -T evil.xml https://127.0.0.1:$S/report/001122334455.xml
  403
  $ grep -o 'report refused: .*' $PROV_SERVE_LOG
  report refused: report names 001122334455, the certificate 000e08abcdef
  $ curl -s -k --cert other.pem --key other.key -o /dev/null -w '%{http_code}\n' -T evil.xml https://127.0.0.1:$S/mine.xml
  204
  $ curl -s -k -o /dev/null -w '%{http_code}\n' -T evil.xml https://127.0.0.1:$S/mine.xml
  403
  $ curl -s -o /dev/null -w '%{http_code}\n' -T evil.xml http://127.0.0.1:$H/mine.xml
  403
  $ prov device drift 001122334455 --db $DB --template main | tail -n +2
  $ prov device drift 000e08abcdef --db $DB --template main | tail -n +2
  User_ID_1_: server "1001", device "evil"
  $ curl -s -k https://127.0.0.1:$S/metrics | grep -E '^prov_reports_(stored|refused)_total'
  prov_reports_stored_total 3
  prov_reports_refused_total 3
