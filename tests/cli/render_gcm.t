prov serve's encrypt=aes128gcm routes: each phone's rendered profile as RFC
8188 content (Content-Encoding: aes128gcm), keyed by the device's own key,
read back by an independent decoder (tests/integration/ece_ref.py on
python3-cryptography), by `prov unpack --ikm`, and by `prov phone` holding
that key in IKM_HTTP_Encrypt_Content. Spec: server.md S-SRV-3, S-SEC-3;
device.md D-ENC-6; interfaces.md "Inventory and rendering".

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ REF=$TESTDIR_SRC/../integration/ece_ref.py
  $ DB=$(prov_db serve)
  $ R=$PROV_TMP/root && mkdir -p $R
  $ prov device add 000e08001888 --product CP-8841-3PCC --db $DB --set USER=1888
  $ cat > t.xml <<'X'
  > <flat-profile>
  > <User_ID_1_>$USER</User_ID_1_>
  > <GPP_A>sealed for $MA</GPP_A>
  > </flat-profile>
  > X
  $ prov template set CP-8841-3PCC t.xml --db $DB
  $ prov_serve $R --route '/g/$MA.xml template=$PN gzip encrypt=aes128gcm' --log-level info
  $ H=http://127.0.0.1:$PROV_SERVE_HTTP
  $ K=$(prov device key 000e08001888 --db $DB)

The response names the coding; its type stays the profile's own, and the
key id in the RFC 8188 header is the key's number:

  $ curl -s -D head -o body $H/g/000e08001888.xml
  $ grep -i '^content-encoding' head | tr -d '\r'
  Content-Encoding: aes128gcm
  $ grep -ci '^content-type: application/octet-stream' head
  0
  [1]
  $ python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); n=b[20]; print(b[21:21+n].decode())' body
  1

An independent decoder and prov unpack read it with the device's key, and
nothing else does:

  $ python3 $REF decode "$K" < body | gunzip -c | grep GPP_A
  <GPP_A>sealed for 000e08001888</GPP_A>
  $ prov unpack --ikm "$K" --keyid 1 body | grep User_ID
  <User_ID_1_>1888</User_ID_1_>
  $ python3 $REF decode "not the key" < body > /dev/null 2>&1
  [1]

The phone with its key in IKM_HTTP_Encrypt_Content resyncs it:

  $ prov phone init --state ph --mac 00:0e:08:00:18:88 --product CP-8841-3PCC
  $ prov phone set --state ph "IKM_HTTP_Encrypt_Content=$K"
  $ prov phone resync --state ph "$H/g/\$MA.xml" | tail -1
  resync: ok
  $ prov phone get --state ph GPP_A User_ID_1_
  GPP_A=sealed for 000e08001888
  User_ID_1_=1888

Another key is refused, and nothing is applied:

  $ prov phone init --state other --mac 00:0e:08:00:18:88 --product CP-8841-3PCC
  $ prov phone set --state other "IKM_HTTP_Encrypt_Content=wrong"
  $ prov phone resync --state other "$H/g/\$MA.xml" 2>&1 | tail -1
  resync failed: decrypt failed: * (glob)
  $ prov phone get --state other GPP_A
  GPP_A=

TFTP has no header to name a content coding: an aes128gcm route is not
served there (answered like any missing file):

  $ tftp 127.0.0.1 $PROV_SERVE_TFTP -m octet -c get g/000e08001888.xml got 2>&1 | head -1
  Error code 1: no such file

  $ prov_servers_stop
