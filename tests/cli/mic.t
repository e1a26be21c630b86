MIC renewal (device.md D-NET-3, D-STA-1; lib/mic.h). With
MIC_Cert_Refresh_Enable = Yes, after the profile rules of a resync, when
due, the phone makes a new EC P-256 key and a CSR whose subject carries
OU = product, L = serial, ST = MAC, POSTs it (PEM, application/pkcs10) to
MIC_Cert_Refresh_Rule over HTTPS presenting its current certificate, checks
the answer (for the new key, trusted for TLS client use) and installs key
and certificate in one rename (mic.pem). Every later HTTPS request presents
the new certificate.

The peers: a small CSR-signing server (python3 http.server over TLS,
requiring a client certificate from the test CA, signing with
`openssl x509 -req`; the path chooses what it answers) and nginx requiring a
client certificate from the test CA (tests/integration/servers.sh). Times in
the status are replaced by TIME.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ P=$PROV_TMP/pki && prov_test_ca "$P"
  $ mkdir www && printf '<flat-profile><GPP_B>with a MIC</GPP_B></flat-profile>\n' > www/p.xml
  $ CLIENT=$(prov_nginx www --https "$P/server.pem" "$P/server.key" --client-ca "$P/ca.pem")

The signer: /sign answers a certificate valid 365 days, /short one valid 10
days, /untrusted one from the other CA, /wrongkey the phone's old
certificate, /garbage text, /error a 500. It logs the path, the client
certificate's subject, the Content-Type and the CSR's subject.

  $ cat > signer.py <<'EOF'
  > import http.server, os, ssl, subprocess, sys, tempfile
  > portfile, pki, log = sys.argv[1:4]
  > class H(http.server.BaseHTTPRequestHandler):
  >     def log_message(self, *a):
  >         pass
  >     def do_POST(self):
  >         n = int(self.headers.get('Content-Length', '0'))
  >         csr = self.rfile.read(min(n, 65536))
  >         peer = self.connection.getpeercert() or {}
  >         who = ','.join('%s=%s' % kv for rdn in peer.get('subject', ()) for kv in rdn)
  >         subj = subprocess.run(['openssl', 'req', '-noout', '-subject', '-nameopt', 'compat'],
  >                               input=csr, capture_output=True).stdout.decode().strip()
  >         with open(log, 'a') as f:
  >             f.write('%s client=[%s] type=%s csr=[%s]\n' % (self.path, who,
  >                     self.headers.get('Content-Type'), subj))
  >         ca = 'ca2' if self.path == '/untrusted' else 'ca'
  >         days = '10' if self.path.startswith('/short') else '365'
  >         if self.path == '/error':
  >             body = b''
  >         elif self.path == '/garbage':
  >             body = b'this is not a certificate\n'
  >         elif self.path == '/wrongkey':
  >             body = open(os.path.join(pki, 'client.pem'), 'rb').read()
  >         else:
  >             with tempfile.NamedTemporaryFile() as t:
  >                 t.write(csr); t.flush()
  >                 body = subprocess.run(['openssl', 'x509', '-req', '-in', t.name,
  >                     '-CA', os.path.join(pki, ca + '.pem'), '-CAkey', os.path.join(pki, ca + '.key'),
  >                     '-set_serial', '0x' + os.urandom(8).hex(), '-days', days, '-sha256',
  >                     '-extfile', os.path.join(pki, 'openssl.cnf'), '-extensions', 'client'],
  >                     capture_output=True).stdout
  >         code = 200 if body else 500
  >         self.send_response(code)
  >         self.send_header('Content-Type', 'application/x-pem-file')
  >         self.send_header('Content-Length', str(len(body)))
  >         self.end_headers()
  >         self.wfile.write(body)
  > ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
  > ctx.load_cert_chain(os.path.join(pki, 'server.pem'), os.path.join(pki, 'server.key'))
  > ctx.load_verify_locations(os.path.join(pki, 'ca.pem'))
  > ctx.verify_mode = ssl.CERT_REQUIRED
  > srv = http.server.HTTPServer(('127.0.0.1', 0), H)
  > srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
  > with open(portfile + '.tmp', 'w') as f:
  >     f.write(str(srv.server_address[1]))
  > os.rename(portfile + '.tmp', portfile)
  > srv.serve_forever()
  > EOF
  $ _prov_spawn signer.out python3 signer.py "$PWD/signer.port" "$P" "$PWD/sign.log"
  $ for i in $(seq 100); do [ -s signer.port ] && break; sleep 0.05; done
  $ SIGN=$(cat signer.port)
  $ st() { prov phone status --state "$1" | grep -E '^(mic|client certificate) ' | sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}/TIME/g'; }
  $ resync() { prov phone resync --state "$1" "https://127.0.0.1:$CLIENT/p.xml" 2>&1 | tail -1; }
  $ rule() { prov phone set --state "$1" "MIC_Cert_Refresh_Rule=https://127.0.0.1:$SIGN$2"; }
  $ signed() { sed -E 's/expires [^)]*/expires DATE/' sign.log; : > sign.log; }

A CP-8841-3PCC with the factory MIC from the test CA (client.pem: its
subject has O and C, which the renewed one will not). Renewal is off by
default: a resync does not ask.

  $ prov phone init --state ph --mac 00:0e:08:AB:CD:EF --serial 88012BA01234 --ca "$P/ca.pem" --cert "$P/client.pem" --certkey "$P/client.key"
  $ resync ph
  resync: ok
  $ st ph
  client certificate   Installed
  $ touch sign.log && signed

Turned on. Every bad answer is refused with its reason and installs nothing;
the request was authenticated by the factory certificate and carried the
phone's identity.

  $ prov phone set --state ph MIC_Cert_Refresh_Enable=Yes
  $ for p in /garbage /wrongkey /untrusted /error; do
  >   rule ph $p
  >   resync ph
  >   st ph | sed -E 's/expires [^)]*/expires DATE/'
  > done
  resync: ok
  client certificate   Installed
  mic                  Installed (CN=CP-8841-3PCC SEP001122334455, expires DATE); last attempt TIME: Failed: no PEM certificate in the answer
  resync: ok
  client certificate   Installed
  mic                  Installed (CN=CP-8841-3PCC SEP001122334455, expires DATE); last attempt TIME: Failed: the certificate is not for the new key
  resync: ok
  client certificate   Installed
  mic                  Installed (CN=CP-8841-3PCC SEP001122334455, expires DATE); last attempt TIME: Failed: certificate not trusted: unable to get local issuer certificate
  resync: ok
  client certificate   Installed
  mic                  Installed (CN=CP-8841-3PCC SEP001122334455, expires DATE); last attempt TIME: Failed: http_post failed: 500
  $ ls ph
  ca.pem
  cert.pem
  certkey.pem
  state.db
  $ signed
  /garbage client=[countryName=US,stateOrProvinceName=001122334455,localityName=FCH1234ABCD,organizationName=Cisco Systems, Inc.,organizationalUnitName=CP-8841-3PCC,commonName=CP-8841-3PCC SEP001122334455] type=application/pkcs10 csr=[subject=/ST=000E08ABCDEF/L=88012BA01234/OU=CP-8841-3PCC/CN=CP-8841-3PCC SEP000E08ABCDEF]
  /wrongkey client=[countryName=US,stateOrProvinceName=001122334455,localityName=FCH1234ABCD,organizationName=Cisco Systems, Inc.,organizationalUnitName=CP-8841-3PCC,commonName=CP-8841-3PCC SEP001122334455] type=application/pkcs10 csr=[subject=/ST=000E08ABCDEF/L=88012BA01234/OU=CP-8841-3PCC/CN=CP-8841-3PCC SEP000E08ABCDEF]
  /untrusted client=[countryName=US,stateOrProvinceName=001122334455,localityName=FCH1234ABCD,organizationName=Cisco Systems, Inc.,organizationalUnitName=CP-8841-3PCC,commonName=CP-8841-3PCC SEP001122334455] type=application/pkcs10 csr=[subject=/ST=000E08ABCDEF/L=88012BA01234/OU=CP-8841-3PCC/CN=CP-8841-3PCC SEP000E08ABCDEF]
  /error client=[countryName=US,stateOrProvinceName=001122334455,localityName=FCH1234ABCD,organizationName=Cisco Systems, Inc.,organizationalUnitName=CP-8841-3PCC,commonName=CP-8841-3PCC SEP001122334455] type=application/pkcs10 csr=[subject=/ST=000E08ABCDEF/L=88012BA01234/OU=CP-8841-3PCC/CN=CP-8841-3PCC SEP000E08ABCDEF]

The good answer is installed: key and certificate in one file, readable by
the owner only, the key matching the certificate, which the test CA signed.

  $ rule ph /sign
  $ resync ph
  resync: ok
  $ st ph | sed -E 's/expires [^)]*/expires DATE/'
  client certificate   Installed
  mic                  Renewed (CN=CP-8841-3PCC SEP000E08ABCDEF, expires DATE); last attempt TIME: Success
  $ stat -c %a ph/mic.pem
  600
  $ openssl verify -CAfile "$P/ca.pem" -purpose sslclient ph/mic.pem
  ph/mic.pem: OK
  $ openssl x509 -in ph/mic.pem -noout -subject -nameopt compat
  subject=/ST=000E08ABCDEF/L=88012BA01234/OU=CP-8841-3PCC/CN=CP-8841-3PCC SEP000E08ABCDEF
  $ cmp <(openssl pkey -in ph/mic.pem -pubout) <(openssl x509 -in ph/mic.pem -noout -pubkey)
  $ wc -l < sign.log
  1
  $ : > sign.log

The next resync presents the new certificate to nginx, which requires one
from the test CA; the renewal is not due again (same rule, a year left):

  $ prov_nginx_mark $CLIENT
  $ resync ph
  resync: ok
  $ prov_nginx_since $CLIENT | grep -o '"CN=[^"]*"'
  "CN=CP-8841-3PCC SEP000E08ABCDEF,OU=CP-8841-3PCC,L=88012BA01234,ST=000E08ABCDEF"
  $ wc -l < sign.log
  0

A certificate expiring within 30 days is renewed at every resync until a
longer one comes:

  $ rule ph /short
  $ resync ph && resync ph
  resync: ok
  resync: ok
  $ grep -c '^/short ' sign.log
  2
  $ rule ph /sign && resync ph && resync ph && : > sign.log
  resync: ok
  resync: ok
  $ resync ph
  resync: ok
  $ wc -l < sign.log
  0

A bad answer after a renewal leaves the renewed pair as it was:

  $ cp ph/mic.pem before.pem
  $ rule ph /garbage
  $ resync ph
  resync: ok
  $ cmp ph/mic.pem before.pem
  $ st ph | sed -E 's/expires [^)]*/expires DATE/'
  client certificate   Installed
  mic                  Renewed (CN=CP-8841-3PCC SEP000E08ABCDEF, expires DATE); last attempt TIME: Failed: no PEM certificate in the answer

A phone without a client certificate is refused by nginx (400), and cannot
renew against a signer that requires one: nothing is installed.

  $ prov phone init --state ph2 --mac 00:0e:08:00:00:02 --ca "$P/ca.pem"
  $ prov phone set --state ph2 MIC_Cert_Refresh_Enable=Yes
  $ rule ph2 /sign
  $ resync ph2
  resync failed: http_get failed: 400
  $ st ph2
  client certificate   Not Installed
  mic                  Not Installed; last attempt TIME: Failed: (connection lost|tls handshake failed|empty reply) (re)
