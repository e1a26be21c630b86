prov phone resync with `--alias L` (device.md D-RUL-3): the profile is any
XML document, and the map in GPP_L says which of its elements set which
parameters. Served by nginx on loopback (tests/integration/servers.sh).
Everything from one document is one change set, applied all-or-nothing
(D-PRO-5).

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ mkdir www
  $ prov_nginx www > http.port && HTTP=$(cat http.port)
  $ resync() { prov phone resync "$@" 2>&1 | sed -e "s#:$HTTP/#:\$HTTP/#g"; return "${PIPESTATUS[0]}"; }
  $ get() { prov phone get --state ph "$@"; }
  $ hits() { prov_nginx_sync $HTTP && grep -v 'GET /prov-sync-' "$PROV_TMP/nginx-$HTTP/access.log" | wc -l; }
  $ prov phone init --state ph --mac 00:0e:08:ab:cd:ef

The provisioning guide's case: a customer-account document with no
<flat-profile> at all, from the configured rule. An entry's left
side matches an element whose path ends with it; the last component of
the right side names the parameter:

  $ cat > www/account.xml <<'EOF'
  > <?xml version="1.0" encoding="UTF-8"?>
  > <customer-account>
  >   <SIP-number> 4085551234 </SIP-number>
  >   <name>Ann Smith</name>
  >   <billing><plan>gold</plan></billing>
  > </customer-account>
  > EOF
  $ prov phone set --state ph 'GPP_M=/customer-account/SIP-number = /flat-profile/User_ID_1_ ;
  >   /customer-account/name = /flat-profile/Display_Name_1_ ;
  >   /billing/plan=/flat-profile/GPP_B;' "Profile_Rule=[--alias m] http://127.0.0.1:$HTTP/account.xml"
  $ resync --state ph
  rule A: http://127.0.0.1:$HTTP/account.xml: ok, 182 bytes, 3 changed
  resync: ok
  $ get User_ID_1_ Display_Name_1_ GPP_B
  User_ID_1_=4085551234
  Display_Name_1_=Ann Smith
  GPP_B=gold

A document may hold a <flat-profile> too: its elements apply as usual,
beside the aliases, the later change of a name winning (D-PRO-4):

  $ cat > www/mixed.xml <<'EOF'
  > <provisioning>
  >   <account><number>1001</number></account>
  >   <flat-profile>
  >     <GPP_C>plain</GPP_C>
  >     <User_ID_1_>overridden</User_ID_1_>
  >   </flat-profile>
  >   <account><number>1002</number></account>
  > </provisioning>
  > EOF
  $ prov phone set --state ph 'GPP_N=/account/number = /flat-profile/User_ID_1_'
  $ resync --state ph "[--alias n] http://127.0.0.1:$HTTP/mixed.xml"
  rule X: http://127.0.0.1:$HTTP/mixed.xml: ok, 217 bytes, 2 changed
  resync: ok
  $ get User_ID_1_ GPP_C
  User_ID_1_=1002
  GPP_C=plain

The rule's own assignments run first, so a rule can carry its map (the
flat-profile's User_ID_1_ and the alias's GPP_D change):

  $ resync --state ph '( o = "/account/number = /flat-profile/GPP_D" )! [--alias o] http://127.0.0.1:'$HTTP'/mixed.xml'
  rule X: http://127.0.0.1:$HTTP/mixed.xml: ok, 217 bytes, 2 changed
  resync: ok
  $ get GPP_D GPP_O
  GPP_D=1002
  GPP_O=/account/number = /flat-profile/GPP_D

A malformed map fails the resync before anything is fetched, and its $ERR
says which entry is wrong and how:

  $ n=$(hits)
  $ prov phone set --state ph 'GPP_N=/account/number = /flat-profile/GPP_A; /account/name /flat-profile/GPP_B'
  $ resync --state ph "[--alias n] http://127.0.0.1:$HTTP/mixed.xml"
  rule X: http://127.0.0.1:$HTTP/mixed.xml: failed: bad alias map GPP_N col 54: alias entry 2: expected '=' after 'name'
  resync failed: bad alias map GPP_N col 54: alias entry 2: expected '=' after 'name'
  [1]
  $ prov phone set --state ph 'GPP_N=/account/number = flat-profile/GPP_A'
  $ resync --state ph "[--alias n] http://127.0.0.1:$HTTP/mixed.xml" | tail -1
  resync failed: bad alias map GPP_N col 19: alias entry 1: the right side must start with '/'
  $ test "$(hits)" = "$n" && prov phone status --state ph | grep last_resync_err
  last_resync_err      bad alias map GPP_N col 19: alias entry 1: the right side must start with '/'

All or nothing: a document that breaks after elements the map matched
applies none of them; one that is neither a profile nor mapped (an error
page) is refused rather than counted as an empty success; entity
declarations are refused as in any profile (D-PRO-7):

  $ prov phone set --state ph GPP_A=sentinel 'GPP_N=/account/number = /flat-profile/GPP_A'
  $ printf '<r>\n<account><number>BAD</number></account>\n<x></y>\n</r>\n' > www/broken.xml
  $ resync --state ph "[--alias n] http://127.0.0.1:$HTTP/broken.xml"
  rule X: http://127.0.0.1:$HTTP/broken.xml: failed: bad profile at line 3 col 6
  resync failed: bad profile at line 3 col 6
  [1]
  $ printf '<html><body><p>Not Found</p></body></html>\n' > www/page.html
  $ resync --state ph "[--alias n] http://127.0.0.1:$HTTP/page.html" | tail -1
  resync failed: bad profile at line 1 col 1
  $ printf '<!DOCTYPE r [<!ENTITY e "BAD">]>\n<account><number>&e;</number></account>\n' > www/entity.xml
  $ resync --state ph "[--alias n] http://127.0.0.1:$HTTP/entity.xml" | tail -1
  resync failed: bad profile at line 1 col 25
  $ get GPP_A
  GPP_A=sentinel

Through the map, a profile is still decoded first: gzip here (D-ENC):

  $ gzip -c www/account.xml > www/account.xml.gz
  $ prov phone set --state ph User_ID_1_= 'GPP_N=/customer-account/SIP-number = /flat-profile/User_ID_1_'
  $ resync --state ph "[--alias n] http://127.0.0.1:$HTTP/account.xml.gz" | tail -1
  resync: ok
  $ get User_ID_1_
  User_ID_1_=4085551234
