Activation-code onboarding (server.md S-OPS-5, device.md D-ONB-2; issue 15
item 1). The operator makes single-use 16-digit codes with `prov code new`;
a phone whose Profile_Rule is gds:// sends its code and identity over HTTPS
to `prov serve` (POST /prov/activate), which enrols it in the inventory and
answers its profile rule; the phone goes on with that rule at once.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ P=$PROV_TMP/pki && prov_test_ca "$P"
  $ DB=$(prov_db serve) R=$PROV_TMP/root && mkdir -p $R
  $ printf '<flat-profile><GPP_A>hello $MA</GPP_A></flat-profile>\n' > t.xml
  $ prov template set main t.xml --db $DB

Codes: 16 digits, the last a Luhn check digit; only a keyed hash is stored.

  $ prov code new --count 3 --group sales --product CP-8841-3PCC --db $DB > codes
  $ wc -l < codes; grep -cE '^[0-9]{16}$' codes
  3
  3
  $ python3 -c '
  > import sys
  > for c in open("codes"):
  >     d = [int(x) for x in c.strip()][::-1]
  >     s = sum(d[0::2]) + sum(sum(divmod(2 * x, 10)) for x in d[1::2])
  >     print("luhn ok" if s % 10 == 0 else "luhn BAD")'
  luhn ok
  luhn ok
  luhn ok
  $ C1=$(sed -n 1p codes) C2=$(sed -n 2p codes) C3=$(sed -n 3p codes)
  $ prov_db_sql serve "select count(*) from activation_code where hash like '%$C1%' or tail = hash"
  0
  $ prov code list --db $DB | sed -E 's/[0-9T:-]{19}Z/TIME/'
  1 ...???? unused sales CP-8841-3PCC TIME (glob)
  2 ...???? unused sales CP-8841-3PCC TIME (glob)
  3 ...???? unused sales CP-8841-3PCC TIME (glob)

The server answers activations with --activation-rule (over HTTPS only):

  $ S=$(prov_free_port)
  $ prov_serve $R --workers 2 --https 127.0.0.1:$S --cert $P/server.pem --key $P/server.key --client-ca $P/ca.pem --route '/cfg-$MA.xml template=main' --activation-rule "https://127.0.0.1:$S/cfg-\$MA.xml" --enum-miss-burst 20 --enum-miss-rate 1 --enum-cooldown-s 600 --log-level info
  $ prov device show 001122334455 --db $DB
  prov: device show: 001122334455: not in the inventory
  [1]

A factory phone with its MIC and Profile_Rule = gds:// onboards with the
first code: the rule it gets replaces gds:// and is fetched in the same
resync.

  $ prov phone init --state ph --mac 00:11:22:33:44:55 --serial FCH1234ABCD --ca $P/ca.pem --cert $P/client.pem --certkey $P/client.key
  $ prov phone set --state ph 'Profile_Rule=gds://'
  $ prov phone resync --state ph
  rule A: (no fetch): failed: activation failed: activation code required
  resync failed: activation failed: activation code required
  [1]
  $ prov phone resync --state ph --activation-code "$C1" --activation-service "https://127.0.0.1:$S/prov/activate" | sed "s/:$S\//:S\//"
  rule A: https://127.0.0.1:S/cfg-001122334455.xml: ok, * bytes, 1 changed (glob)
  resync: ok
  $ prov phone get --state ph Profile_Rule GPP_A | sed "s/:$S\//:S\//"
  Profile_Rule=https://127.0.0.1:S/cfg-$MA.xml
  GPP_A=hello 001122334455
  $ prov phone status --state ph | grep -E '^activation' | sed -E "s/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}/TIME/;s/:$S\//:S\//"
  activation           Activated TIME
  activation_service   https://127.0.0.1:S/prov/activate

The device record was made from its certificate, in the code's group:

  $ prov device show 001122334455 --db $DB | grep -E '^(product|group|serial|enabled)'
  product    CP-8841-3PCC
  group      sales
  serial     FCH1234ABCD
  enabled    yes
  $ grep -c 'activation: .* device 001122334455 enrolled' $PROV_SERVE_LOG
  1
  $ prov code list --db $DB | sed -E 's/[0-9T:-]{19}Z/TIME/g' | head -1
  1 ...???? used-by-001122334455-at-TIME sales CP-8841-3PCC TIME (glob)

The code is used up: a second phone (no certificate: it says who it is)
presenting it is refused, and the code is never in a log.

  $ prov phone init --state ph2 --mac 00:0e:08:ab:cd:ef --ca $P/ca.pem
  $ prov phone set --state ph2 'Profile_Rule=gds://'
  $ prov phone resync --state ph2 --activation-code "$C1" --activation-service "https://127.0.0.1:$S/prov/activate"
  rule A: (no fetch): failed: activation failed: invalid activation code
  resync failed: activation failed: invalid activation code
  [1]
  $ prov phone get --state ph2 Profile_Rule
  Profile_Rule=gds://
  $ grep -c -e "$C1" -e "$C2" $PROV_SERVE_LOG
  0
  [1]

Unknown, used, revoked and expired codes get one and the same answer:

  $ prov code revoke 3 --db $DB
  $ prov_db_sql serve "update activation_code set expires_ms = 1 where id = 2"
  $ act() { curl -s -w ' %{http_code}\n' --cacert $P/ca.pem --interface 127.0.0.1 "$@" https://localhost:$S/prov/activate; }
  $ act -d "code=$C1&mac=000e08abcdef"
  invalid activation code
   403
  $ act -d "code=$C2&mac=000e08abcdef"
  invalid activation code
   403
  $ act -d "code=$C3&mac=000e08abcdef"
  invalid activation code
   403
  $ act -d "code=4111111111111111&mac=000e08abcdef"
  invalid activation code
   403
  $ act -d "code=1234&mac=000e08abcdef"
  invalid activation code
   403
  $ prov device show 000e08abcdef --db $DB
  prov: device show: 000e08abcdef: not in the inventory
  [1]

Bad requests are told apart from refusals, and name what is wrong:

  $ act -d "code=4111111111111111"
  400 Bad Request
   400
  $ act -d "code=4111111111111111&mac=000e08abcdef&pin=1"
  400 Bad Request
   400
  $ act -d "code=1&code=2&mac=000e08abcdef"
  400 Bad Request
   400
  $ act -d "code=%zz&mac=000e08abcdef"
  400 Bad Request
   400
  $ act -d "code=$(head -c 2000 /dev/zero | tr '\0' 1)&mac=000e08abcdef"
  413 Content Too Large
   413
  $ grep -o 'activation: 127.0.0.1:[0-9]*: bad request: .*' $PROV_SERVE_LOG | sed 's/:[0-9]*:/:P:/'
  activation: 127.0.0.1:P: bad request: no mac and no client certificate
  activation: 127.0.0.1:P: bad request: unknown field (expected code, mac, serial, product)
  activation: 127.0.0.1:P: bad request: a field given twice
  activation: 127.0.0.1:P: bad request: bad %-escape

Over plain HTTP the exchange is not answered (the code would travel in
clear):

  $ curl -s -w ' %{http_code}\n' -d "code=$C1&mac=000e08abcdef" http://127.0.0.1:$PROV_SERVE_HTTP/prov/activate
  403 Forbidden
   403

Single use under a race: two phones send the same fresh code at the same
instant, on two connections that the kernel spreads over both workers.
Exactly one is enrolled, ten times over.

  $ prov code new --count 10 --db $DB > race
  $ cat > race.py <<'PY'
  > import http.client, ssl, sys, threading
  > port, ca = int(sys.argv[1]), sys.argv[2]
  > ctx = ssl.create_default_context(cafile=ca)
  > res = {}
  > for round, code in enumerate(open("race").read().split()):
  >     conns = []
  >     for i in range(2):
  >         c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=30)
  >         c.connect()
  >         conns.append(c)
  >     go = threading.Barrier(2)
  >     out = [None, None]
  >     def one(i):
  >         body = "code=%s&mac=0200000%02d%03d" % (code, round, i)
  >         go.wait()
  >         conns[i].request("POST", "/prov/activate", body,
  >                          {"Content-Type": "application/x-www-form-urlencoded"})
  >         out[i] = conns[i].getresponse().status
  >     ts = [threading.Thread(target=one, args=(i,)) for i in range(2)]
  >     [t.start() for t in ts]; [t.join() for t in ts]
  >     k = " ".join(str(s) for s in sorted(out))
  >     res[k] = res.get(k, 0) + 1
  > print(res)
  > PY
  $ python3 race.py $S $P/ca.pem
  {'200 403': 10}
  $ prov device list --db $DB | grep -c '^0200000'
  10

The agent takes the code too: `prov phone run` boots, its first resync
meets gds://, and the phone is enrolled and provisioned without a
command.

  $ prov code new --group lobby --db $DB > agentcode
  $ prov phone init --state ph3 --mac 00:0e:08:00:00:03 --ca $P/ca.pem
  $ prov phone set --state ph3 'Profile_Rule=gds://' Resync_Random_Delay=0
  $ prov phone run --state ph3 --activation-code "$(cat agentcode)" --activation-service "https://127.0.0.1:$S/prov/activate" 2> ph3.err & agent=$!
  $ for i in $(seq 300); do prov phone get --state ph3 GPP_A | grep -q hello && break; sleep 0.1; done
  $ kill $agent && wait $agent
  $ prov phone get --state ph3 Profile_Rule GPP_A | sed "s/:$S\//:S\//"
  Profile_Rule=https://127.0.0.1:S/cfg-$MA.xml
  GPP_A=hello 000e08000003
  $ prov device show 000e08000003 --db $DB | grep '^group'
  group      lobby

Guessing is throttled like enumeration (S-SEC-2): refusals are misses, and
past --enum-miss-burst (20 here) the address is refused with 429 without
its guesses being looked at. Another address is still served.

  $ for i in $(seq 25); do curl -s -o /dev/null -w '%{http_code}\n' --cacert $P/ca.pem --interface 127.0.0.9 -d "code=4111111111111111&mac=000e08abcdef" https://localhost:$S/prov/activate; done | sort | uniq -c | sed 's/^ *//'
  21 403
  4 429
  $ prov code new --db $DB > last && act -d "code=$(cat last)&mac=000e08abcde0" | sed "s/:$S\//:S\//"
  https://127.0.0.1:S/cfg-$MA.xml 200

  $ prov_servers_stop
