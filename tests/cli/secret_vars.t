Variables holding secrets (SIP passwords and the like) are masked by
prov device show and prov var list unless --show-secrets, and are never in
the server's log; they are still rendered into the device's profile.
Spec: interfaces.md "Inventory and rendering"; server.md S-SEC-3.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ DB=$(prov_db serve) R=$PROV_TMP/root && mkdir -p $R

Secret by name: a secret parameter of the phone (Password_1_), or a name
holding PASS, PWD, SECRET or KEY in any case. Secret by choice: --secret
(prov var) and --secret-set (prov device); it stays secret when set again
without it, until unset.

  $ prov device add 000e08000a01 --product CP-8841-3PCC --set Password_1_=sip-pw-1 --set sip_pwd=pwd-2 --set MYSECRET=sekrit-three --set apikey=apikey-four --set USER=1001 --secret-set PIN=4242 --db $DB
  $ prov device show 000e08000a01 --db $DB | grep '^var'
  var        MYSECRET=(hidden: --show-secrets)
  var        PIN=(hidden: --show-secrets)
  var        Password_1_=(hidden: --show-secrets)
  var        USER=1001
  var        apikey=(hidden: --show-secrets)
  var        sip_pwd=(hidden: --show-secrets)
  $ prov device show 000e08000a01 --db $DB --json | grep -o '"vars":{[^}]*}'
  "vars":{"MYSECRET":null,"PIN":null,"Password_1_":null,"USER":"1001","apikey":null,"sip_pwd":null}
  $ prov device show 000e08000a01 --db $DB --json --show-secrets | grep -o '"vars":{[^}]*}'
  "vars":{"MYSECRET":"sekrit-three","PIN":"4242","Password_1_":"sip-pw-1","USER":"1001","apikey":"apikey-four","sip_pwd":"pwd-2"}
  $ prov device set 000e08000a01 --set PIN=1234 --db $DB
  $ prov device show 000e08000a01 --db $DB | grep PIN
  var        PIN=(hidden: --show-secrets)
  $ prov device set 000e08000a01 --unset PIN --db $DB && prov device set 000e08000a01 --set PIN=1234 --db $DB
  $ prov device show 000e08000a01 --db $DB | grep PIN
  var        PIN=1234

prov var, every scope:

  $ prov var set --group sales VOICEMAIL=9999 TOKEN=t-5 --secret --db $DB
  $ prov var set --group sales PROXY=sip.example.com --db $DB
  $ prov var list --group sales --db $DB
  PROXY=sip.example.com
  TOKEN=(hidden: --show-secrets)
  VOICEMAIL=(hidden: --show-secrets)
  $ prov var list --group sales --db $DB --json
  {"name":"PROXY","value":"sip.example.com","secret":false}
  {"name":"TOKEN","value":null,"secret":true}
  {"name":"VOICEMAIL","value":null,"secret":true}
  $ prov var list --group sales --db $DB --show-secrets
  PROXY=sip.example.com
  TOKEN=t-5
  VOICEMAIL=9999
  $ prov var set Admin_Password=adm-6 --db $DB && prov var list --db $DB
  Admin_Password=(hidden: --show-secrets)
  $ prov var unset --secret X --db $DB
  prov: var unset: --secret is for 'prov var set' (see 'prov var unset --help')
  [2]
  $ prov var set --show-secrets X=1 --db $DB
  prov: var set: --show-secrets is for 'prov var list' (see 'prov var set --help')
  [2]

The server renders secrets into the device's own profile, and logs none:

  $ prov device set 000e08000a01 --group sales --db $DB
  $ printf '<flat-profile>\n<Password_1_>$Password_1_</Password_1_>\n<GPP_A>$PIN $MYSECRET $apikey $sip_pwd $VOICEMAIL</GPP_A>\n</flat-profile>\n' > t.xml
  $ prov template set CP-8841-3PCC t.xml --db $DB
  $ prov_serve $R --route '/$MA.xml template=$PN' --log-level debug
  $ curl -s http://127.0.0.1:$PROV_SERVE_HTTP/000e08000a01.xml
  <flat-profile>
  <Password_1_>sip-pw-1</Password_1_>
  <GPP_A>1234 sekrit-three apikey-four pwd-2 9999</GPP_A>
  </flat-profile>
  $ grep -c -e sip-pw-1 -e pwd-2 -e sekrit-three -e apikey-four -e t-5 -e adm-6 $PROV_SERVE_LOG
  0
  [1]

  $ prov_servers_stop
