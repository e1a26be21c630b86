The server's inventory from the command line: prov device, prov var,
prov template. Spec: interfaces.md "Inventory and rendering"; server.md
S-DEV-1, S-DEV-2, S-SEC-3.

  $ prov device --help | head -1
  usage: prov device add MAC [--product PN] [--group G] [--serial SN]
  $ prov var --help | head -1
  usage: prov var set [--product PN | --group G | --device MAC] NAME=VALUE ...
  $ prov template --help | head -1
  usage: prov template set NAME FILE [--db URL]

The inventory is ./prov.db (the default); on PostgreSQL (`ctest -L pg`,
tests/integration/servers.sh) $D gives every command the test's own
database instead, and the SQLite file's checks are left out:

  $ . "$TESTDIR_SRC/../integration/servers.sh" && prov_servers_init
  $ prov_db_is_pg && D="--db $(prov_db inventory)" || D=
  $ I=$(prov_db import)

Bad usage is exit 2 with one line, and changes nothing:

  $ prov device add 00:0e:08:ab:cd $D
  prov: device add: '00:0e:08:ab:cd' is not a MAC (12 hex digits) (see 'prov device add --help')
  [2]
  $ prov device add 000e08abcdef --set NOEQUALS $D
  prov: device add: 'NOEQUALS' is not NAME=VALUE (see 'prov device add --help')
  [2]
  $ prov device add 000e08abcdef --set MA=x $D
  prov: device add: variable 'MA': the server gives this name itself (identity or key) (see 'prov device add --help')
  [2]
  $ prov device frob $D
  prov: device: unknown command 'frob' (see 'prov device --help')
  [2]
  $ prov device list $D
  $ prov var set 'A-B=1' $D
  prov: var set: variable 'A-B': a variable name is 1 to 32 letters, digits and '_' (see 'prov var set --help')
  [2]

Devices: add, show (the key only with --show-secrets), set, list, rm. The
database is private to its owner: it holds the keys.

  $ prov device add 00:0E:08:AB:CD:EF --product CP-8841-3PCC --group sales --serial FCH1 --set SIPPASS=s3cret $D
  $ prov_db_is_pg || { m=$(stat -c %a prov.db); [ "$m" = 600 ] || echo "prov.db: mode $m"; }
  $ prov device add 000e08abcdef $D
  prov: device add: 000e08abcdef: already in the inventory
  [1]
  $ prov device show 000e08abcdef $D
  mac        000e08abcdef
  product    CP-8841-3PCC
  group      sales
  serial     FCH1
  enabled    yes
  notes      -
  key_id     1
  key        (hidden: --show-secrets)
  http_user  -
  http_pass  -
  last_seen  never
  status     -
  user_agent -
  result     -
  var        SIPPASS=(hidden: --show-secrets)
  $ prov device show 000e08abcdef --show-secrets $D | grep var
  var        SIPPASS=s3cret
  $ prov device show 000e08abcdef --json $D
  {"mac":"000e08abcdef","product":"CP-8841-3PCC","group":"sales","serial":"FCH1","enabled":true,"notes":null,"vars":{"SIPPASS":null},"key":null,"key_id":1,"http_user":null,"http_password":null,"last_seen":null,"last_status":null,"user_agent":null,"last_result":null}
  $ prov device show 000e08abcdef --json --show-secrets $D | grep -Eo '"key":"[0-9a-f]{64}"' | wc -l
  1
  $ K1=$(prov device key 000e08abcdef $D) && echo ${#K1}
  64
  $ prov device show 000e08abcdef --show-secrets $D | grep -c "$K1"
  1
  $ prov device set 000e08abcdef --group support --unset SIPPASS --set SIPUSER=1001 --disable --notes 'desk 4' $D
  $ prov device list --json $D
  {"mac":"000e08abcdef","product":"CP-8841-3PCC","group":"support","serial":"FCH1","enabled":false,"notes":"desk 4","key":null,"key_id":1,"http_user":null,"http_password":null,"drift":null}
  $ prov device add 001122334455 $D && prov device list --group support $D
  000e08abcdef CP-8841-3PCC support FCH1 disabled drift -
  $ prov device list $D
  000e08abcdef CP-8841-3PCC support FCH1 disabled drift -
  001122334455 - - - enabled drift -
  $ prov device rm 00-11-22-33-44-55 $D && prov device rm 001122334455 $D
  prov: device rm: 001122334455: not in the inventory
  [1]
  $ prov device set 001122334455 --group x $D
  prov: device set: 001122334455: not in the inventory
  [1]

Rotation makes a new current key; the old one is kept for the server:

  $ prov device key 000e08abcdef --rotate --json $D | grep -Eo '"key_id":[0-9]+'
  "key_id":2
  $ K2=$(prov device key 000e08abcdef $D) && test "$K1" != "$K2" && echo differs
  differs

Variables of every scope:

  $ prov var set PROXY=sip.example.com OUTBOUND=sbc.example.com $D
  $ prov var set --group support LINE=2 $D
  $ prov var set --product CP-8841-3PCC LINE=1 TZ=UTC $D
  $ prov var list $D
  OUTBOUND=sbc.example.com
  PROXY=sip.example.com
  $ prov var list --product CP-8841-3PCC --json $D
  {"name":"LINE","value":"1","secret":false}
  {"name":"TZ","value":"UTC","secret":false}
  $ prov var unset OUTBOUND $D && prov var list $D
  PROXY=sip.example.com
  $ prov var set --group a --product b X=1 $D
  prov: var set: one of --product, --group, --device (see 'prov var set --help')
  [2]

Templates: an ill-formed profile is refused with its place; lint names
unknown macros and unknown parameter names.

  $ printf '<flat-profile>\n<Proxy_1_>$PROXY</Proxy_1_>\n<Line_Enable_1_>$LINE</Line_Enable_1_>\n<Password_1_>$SIPPASS</Password_1_>\n<Profile_Rule>[--key $KEY]http://$SERVIP/p/$KEY_ID/$MA.xml</Profile_Rule>\n<Display_Name_1_>$NOPE $PSN $MAC $MAU</Display_Name_1_>\n<Frobnicate>1</Frobnicate>\n</flat-profile>\n' > t.xml
  $ prov template set phone t.xml $D
  $ printf '<flat-profile>\n  <a></b>\n</flat-profile>\n' > bad.xml
  $ prov template set bad bad.xml $D
  prov: bad.xml:2:8: mismatched tag
  [2]
  $ prov template list $D | cut -d' ' -f1-2
  phone 291
  $ prov template lint phone $D
  phone:4: unknown macro $SIPPASS
  phone:6: unknown macro $NOPE
  phone:7: unknown parameter Frobnicate
  [1]
  $ prov template show phone $D | cmp - t.xml
  $ prov template rm nothere $D
  prov: template rm: nothere: no such template
  [1]

Rendering, as the server would send it before packing: device > group >
product > global, identity and key. A value is escaped where it lands: it
cannot add a parameter.

  $ prov device set 000e08abcdef --enable --set 'SIPPASS=</Password_1_><Admin_Password>x' $D
  $ prov device render 000e08abcdef /p/2/000e08abcdef.xml --route '/p/$KEY_ID/$MA.xml template=phone' $D | sed "s/$K2/KEY2/"
  <flat-profile>
  <Proxy_1_>sip.example.com</Proxy_1_>
  <Line_Enable_1_>2</Line_Enable_1_>
  <Password_1_>&lt;/Password_1_&gt;&lt;Admin_Password&gt;x</Password_1_>
  <Profile_Rule>[--key KEY2]http://$SERVIP/p/2/000e08abcdef.xml</Profile_Rule>
  <Display_Name_1_>$NOPE 8841 00:0e:08:ab:cd:ef 000E08ABCDEF</Display_Name_1_>
  <Frobnicate>1</Frobnicate>
  </flat-profile>
  $ prov device render 000e08abcdef /other.xml --route '/p/$KEY_ID/$MA.xml template=phone' $D
  prov: device render: no route matches '/other.xml' (give --config, --route or --template)
  [2]
  $ prov device render 000e08abcdef /x --route 'nodollar template=phone' $D
  prov: device render: --route: route 'nodollar template=phone': a pattern without $MA names the device by its certificate: add require=cert (see 'prov device render --help')
  [2]

Import: one transaction, line-numbered errors, nothing imported on error.

  $ python3 -c "
  > print('mac,product,group,serial,SIPUSER,SIPPASS')
  > for i in range(10000): print('%012x,CP-8841-3PCC,g%d,SN%d,%d,\"p,w\"\"%d\"' % (0x001122000000+i, i%10, i, 1000+i, i))
  > " > ten.csv
  $ (head -50 ten.csv; echo '00112200002x,a,b,c,d,e') > badmac.csv
  $ prov device import badmac.csv --db $I
  prov: badmac.csv:51: '00112200002x' is not a MAC (12 hex digits)
  prov: device import: badmac.csv: nothing imported
  [2]
  $ (head -50 ten.csv; sed -n 3p ten.csv) > dup.csv
  $ prov device import dup.csv --db $I
  prov: dup.csv:51: 001122000001: duplicate of line 3
  prov: device import: dup.csv: nothing imported
  [2]
  $ printf 'mac,product,bad-name\n' > badhdr.csv && prov device import badhdr.csv --db $I
  prov: badhdr.csv:1: column 3 'bad-name': a variable name is 1 to 32 letters, digits and '_'
  [2]
  $ prov device list --db $I | wc -l
  0
  $ prov device import ten.csv --db $I && prov device list --db $I | wc -l
  10000
  $ prov device show 001122000005 --db $I --json | grep -o '"vars":{[^}]*}'
  "vars":{"SIPPASS":null,"SIPUSER":"1005"}
  $ prov device show 001122000005 --db $I --json --show-secrets | grep -o '"vars":{[^}]*}'
  "vars":{"SIPPASS":"p,w\"5","SIPUSER":"1005"}
  $ prov device import dup.csv --db $I
  prov: dup.csv:2: 001122000000: already in the inventory
  prov: device import: dup.csv: nothing imported
  [2]

HTTP Digest credentials (auth=digest routes) are columns too, both or
neither, the password a secret like --http-password's:

  $ printf 'mac,http_user,http_password\n0011220f0001,alice,pw-a\n0011220f0002,bob,\n' > cred.csv
  $ prov device import cred.csv --db $I
  prov: cred.csv:3: http_user and http_password go together
  prov: device import: cred.csv: nothing imported
  [2]
  $ printf 'mac,http_user,http_password\n0011220f0001,a:b,pw\n' > colon.csv && prov device import colon.csv --db $I
  prov: colon.csv:2: http_user holds ':', '"' or '\'
  prov: device import: colon.csv: nothing imported
  [2]
  $ printf 'mac,http_user,http_password\n0011220f0001,alice,pw-a\n0011220f0002,,\n' > cred.csv
  $ prov device import cred.csv --db $I
  $ prov device show 0011220f0001 --db $I --json | grep -o '"http_user":[^,]*,"http_password":[^,}]*'
  "http_user":"alice","http_password":null
  $ prov device show 0011220f0001 --db $I --json --show-secrets | grep -o '"http_password":[^,}]*'
  "http_password":"pw-a"
  $ prov device show 0011220f0002 --db $I --json | grep -o '"http_user":[^,]*'
  "http_user":null
