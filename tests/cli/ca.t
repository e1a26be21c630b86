The server as the devices' certificate authority (server.md S-OPS-6,
device.md D-NET-3; issue 15 item 2): `prov ca init` makes the CA, `prov ca
issue` stages a phone's certificate, and `prov serve --device-ca` signs
the renewal CSR the phone POSTs (MIC_Cert_Refresh_Rule) over mTLS;
`prov device revoke-cert` makes the server refuse a certificate. End to
end: a phone staged with `prov ca issue` onboards with an activation code,
then renews its certificate, both against `prov serve`.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ P=$PROV_TMP/pki && prov_test_ca "$P"
  $ DB=$(prov_db serve) R=$PROV_TMP/root && mkdir -p $R
  $ printf '<flat-profile><GPP_A>hello $MA</GPP_A></flat-profile>\n' > t.xml
  $ prov template set main t.xml --db $DB

The CA: an EC P-256 key, mode 0600, never overwritten.

  $ prov ca init --ca dca
  dca/ca.pem dca/ca.key
  $ stat -c '%a %n' dca dca/ca.key dca/ca.pem
  700 dca
  600 dca/ca.key
  644 dca/ca.pem
  $ openssl x509 -in dca/ca.pem -noout -subject -ext basicConstraints,keyUsage | sed 's/^ *//'
  subject=CN = prov device CA
  X509v3 Basic Constraints: critical
  CA:TRUE, pathlen:0
  X509v3 Key Usage: critical
  Certificate Sign, CRL Sign
  $ openssl pkey -in dca/ca.key -noout -text | grep -E 'ASN1 OID'
  ASN1 OID: prime256v1
  $ prov ca init --ca dca
  prov: ca init: dca: there is a CA already (ca.pem, ca.key)
  [1]

Importing checks the pair: a leaf is not a CA, a key is not another's.

  $ prov ca init --ca imp --import $P/client.pem $P/client.key
  prov: ca init: */client.pem: not a CA certificate (glob)
  [1]
  $ prov ca init --ca imp --import $P/ca.pem $P/ca2.key
  prov: ca init: */ca2.key: not the key of */ca.pem (glob)
  [1]
  $ openssl genrsa -out weak.key 1024 2>/dev/null && openssl req -new -x509 -key weak.key -subj /CN=weak -days 9 -out weak.pem -addext basicConstraints=critical,CA:TRUE 2>/dev/null
  $ prov ca init --ca imp --import weak.pem weak.key
  prov: ca init: weak.key: RSA key under 2048 bits
  [1]
  $ prov ca init --ca imp --import $P/ca.pem $P/ca.key
  imp/ca.pem imp/ca.key
  $ cmp imp/ca.pem $P/ca.pem && stat -c %a imp/ca.key
  600

Staging a phone: its key and a MIC-style certificate, client use only.

  $ prov ca issue 00:11:22:33:44:55 --ca dca --db $DB --out mic.pem
  prov: ca issue: 001122334455: no serial or product: add the device to the inventory, or give --serial and --product (see 'prov ca issue --help')
  [2]
  $ prov ca issue 00:11:22:33:44:55 --ca dca --db $DB --serial FCH1234ABCD --product CP-8841-3PCC --out mic.pem
  $ stat -c %a mic.pem
  600
  $ openssl x509 -in mic.pem -noout -subject -nameopt compat -ext basicConstraints,extendedKeyUsage | sed 's/^ *//'
  subject=/ST=001122334455/L=FCH1234ABCD/OU=CP-8841-3PCC/CN=CP-8841-3PCC SEP001122334455
  X509v3 Basic Constraints: critical
  CA:FALSE
  X509v3 Extended Key Usage: 
  TLS Web Client Authentication
  $ openssl verify -CAfile dca/ca.pem -purpose sslclient mic.pem
  mic.pem: OK
  $ prov ca list --db $DB | sed -E 's/[0-9T:-]{19}Z/TIME/'
  [0-9a-f]{32} 001122334455 issue TIME valid (re)

The server: the device CA's certificate among the client CAs it trusts.

  $ cat $P/ca.pem dca/ca.pem > clientca.pem && cp clientca.pem trust.pem
  $ prov serve --root $R --https 127.0.0.1:0 --cert $P/server.pem --key $P/server.key --device-ca dca --check
  prov: serve: device-ca: renewals are answered over HTTPS to a device presenting its certificate: give --https and --client-ca (with the device CA's ca.pem in it)
  [2]
  $ chmod 644 dca/ca.key && prov serve --root $R --https 127.0.0.1:0 --cert $P/server.pem --key $P/server.key --client-ca clientca.pem --device-ca dca --check
  prov: serve: device-ca: dca/ca.key: readable by others (mode 644): chmod 600 it
  [2]
  $ chmod 600 dca/ca.key
  $ S=$(prov_free_port)
  $ prov_serve $R --https 127.0.0.1:$S --cert $P/server.pem --key $P/server.key --client-ca clientca.pem --device-ca dca --activation-rule "https://127.0.0.1:$S/cfg-\$MA.xml" --route '/cfg-$MA.xml template=main require=cert' --log-level info

The phone, staged with that certificate, onboards with a code; the
server knows it by its certificate.

  $ prov code new --group lab --db $DB > code
  $ prov phone init --state ph --mac 00:11:22:33:44:55 --serial FCH1234ABCD --ca trust.pem --cert mic.pem --certkey mic.pem
  $ prov phone set --state ph 'Profile_Rule=gds://'
  $ prov phone resync --state ph --activation-code "$(cat code)" --activation-service "https://127.0.0.1:$S/prov/activate" | sed "s/:$S\//:S\//"
  rule A: https://127.0.0.1:S/cfg-001122334455.xml: ok, * bytes, 1 changed (glob)
  resync: ok
  $ prov device show 001122334455 --db $DB | grep -E '^(product|group|serial)'
  product    CP-8841-3PCC
  group      lab
  serial     FCH1234ABCD

Later it renews its certificate (D-NET-3): a new P-256 key, a CSR with
its identity, POSTed with the current certificate; the server signs it and
records it.

  $ prov phone set --state ph MIC_Cert_Refresh_Enable=Yes "MIC_Cert_Refresh_Rule=https://127.0.0.1:$S/prov/cert"
  $ prov phone resync --state ph | tail -1
  resync: ok
  $ prov phone status --state ph | grep -E '^mic ' | sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}/TIME/g'
  mic                  Renewed (CN=CP-8841-3PCC SEP001122334455, expires TIME UTC); last attempt TIME: Success
  $ prov ca list 001122334455 --db $DB | sed -E 's/[0-9T:-]{19}Z/TIME/' | cut -d' ' -f2-
  001122334455 issue TIME valid
  001122334455 renew TIME valid
  $ grep -c 'device CA: .*: 001122334455: issued certificate' $PROV_SERVE_LOG
  1
  $ openssl x509 -in ph/mic.pem -noout -subject -nameopt compat
  subject=/ST=001122334455/L=FCH1234ABCD/OU=CP-8841-3PCC/CN=CP-8841-3PCC SEP001122334455
  $ openssl x509 -in ph/mic.pem -noout -serial | tr A-F a-f | sed 's/serial=//' > new.serial
  $ prov ca list --db $DB | grep -c "^$(cat new.serial) 001122334455 renew"
  1

The renewed certificate is the one presented from then on:

  $ prov phone resync --state ph | sed "s/:$S\//:S\//"
  rule A: https://127.0.0.1:S/cfg-001122334455.xml: ok, * bytes, 0 changed (glob)
  resync: ok

Bad requests are refused, each with its reason: a weak key, another
MAC, asking to be a CA or a server, a forged signature, no certificate.

  $ csr() { openssl req -new -key "$1" -subj "$2" ${3:+-addext "$3"} 2>/dev/null; }
  $ renew() { curl -s -w ' %{http_code}\n' --cacert $P/ca.pem --cert ph/mic.pem --key ph/mic.pem -H 'Content-Type: application/pkcs10' --data-binary @- https://localhost:$S/prov/cert; }
  $ M=/ST=001122334455/L=FCH1234ABCD/OU=CP-8841-3PCC/CN=x
  $ openssl ecparam -name prime256v1 -genkey -noout -out ec.key
  $ openssl ecparam -name secp224r1 -genkey -noout -out ec224.key
  $ openssl genrsa -out rsa2048.key 2048 2>/dev/null
  $ csr ec224.key $M | renew
  403 Forbidden
   403
  $ csr weak.key $M | renew
  403 Forbidden
   403
  $ csr ec.key /ST=000E08ABCDEF/L=FCH1234ABCD/OU=CP-8841-3PCC/CN=x | renew
  403 Forbidden
   403
  $ csr ec.key /ST=001122334455/L=OTHER/OU=CP-8841-3PCC/CN=x | renew
  403 Forbidden
   403
  $ csr ec.key $M basicConstraints=critical,CA:TRUE | renew
  403 Forbidden
   403
  $ csr ec.key $M keyUsage=keyCertSign | renew
  403 Forbidden
   403
  $ csr ec.key $M extendedKeyUsage=serverAuth | renew
  403 Forbidden
   403
  $ printf 'not a request\n' | renew
  403 Forbidden
   403
  $ csr ec.key $M | sed '3s/^\(.\)./\1A/' | renew
  403 Forbidden
   403
  $ csr ec.key $M | curl -s -w ' %{http_code}\n' --cacert $P/ca.pem --data-binary @- https://localhost:$S/prov/cert
  403 Forbidden
   403
  $ grep -o 'renewal refused: .*\|renewal without a device certificate: refused' $PROV_SERVE_LOG
  renewal refused: EC key under 256 bits
  renewal refused: RSA key under 2048 bits
  renewal refused: the request's ST is not the MAC of the certificate presented (001122334455)
  renewal refused: the request's L/OU are not the serial/product of the certificate presented
  renewal refused: the request asks to be a CA (basicConstraints)
  renewal refused: the request asks to sign certificates (keyUsage)
  renewal refused: the request asks for server or any use (extendedKeyUsage)
  renewal refused: not a PEM certificate request
  renewal refused: * (glob)
  renewal without a device certificate: refused

An RSA-2048 key is strong enough:

  $ csr rsa2048.key $M | renew > rsa.out; grep -c 'BEGIN CERTIFICATE' rsa.out; tail -1 rsa.out
  2
   200
  $ openssl x509 -in rsa.out -noout -ext extendedKeyUsage | sed 's/^ *//'
  X509v3 Extended Key Usage: 
  TLS Web Client Authentication

Revoked: every certificate of the device; the server closes a connection
presenting one right after the handshake, so the phone can neither fetch
its require=cert profile nor renew.

  $ prov device revoke-cert 00:11:22:33:44:55 --db $DB
  001122334455: 3 certificates revoked
  $ prov device revoke-cert 00:11:22:33:44:55 --db $DB
  prov: device revoke-cert: 001122334455: no certificate to revoke
  [1]
  $ prov ca list 001122334455 --db $DB | grep -c ' revoked-'
  3
  $ curl -s -o /dev/null -w '%{http_code}\n' --cacert $P/ca.pem --cert ph/mic.pem --key ph/mic.pem https://localhost:$S/cfg-001122334455.xml || echo refused
  000
  refused
  $ prov phone resync --state ph > out; echo $?; tail -1 out
  1
  resync failed: (connection lost|empty reply) (re)
  $ grep -c 'client certificate of 001122334455 revoked: closed' $PROV_SERVE_LOG | awk '$1 >= 2 {print "closed"}'
  closed

Another phone's certificate from the test CA is not affected:

  $ curl -s -o /dev/null -w '%{http_code}\n' --cacert $P/ca.pem --cert $P/client.pem --key $P/client.key https://localhost:$S/cfg-001122334455.xml
  200

  $ prov_servers_stop
