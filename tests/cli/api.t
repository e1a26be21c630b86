The JSON admin API on --admin (server.md S-OPS-4, S-SEC-4; issue 15 item
3; docs/API.md). Every example of docs/API.md runs here against a fresh
server, then the edges: authentication, bounds, bad JSON, unknown fields.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ R=$PROV_TMP/root && mkdir -p $R
  $ head -c 32 /dev/urandom | xxd -p -c 64 > admin.token && chmod 600 admin.token

The API needs its token (S-SEC-4):

  $ prov serve --root $R --http 127.0.0.1:0 --admin 127.0.0.1:0 --check
  prov: serve: admin: the API needs authentication: give --admin-token-file FILE (a token of at least 32 characters)
  [2]
  $ echo short > short.token && chmod 600 short.token && prov serve --root $R --http 127.0.0.1:0 --admin 127.0.0.1:0 --admin-token-file short.token --check
  prov: serve: admin-token-file short.token: the token (first line) must be 32 to 256 characters
  [2]
  $ chmod 644 admin.token && prov serve --root $R --http 127.0.0.1:0 --admin 127.0.0.1:0 --admin-token-file admin.token --check
  prov: serve: admin-token-file admin.token: readable by others (mode 644): chmod 600 it
  [2]
  $ chmod 600 admin.token
  $ prov serve --root $R --http 127.0.0.1:0 --admin :8081 --admin-token-file admin.token --check
  prov: serve: admin :8081: not a loopback address: the token would cross the network in clear; give --admin-tls (with --cert and --key) or bind 127.0.0.1
  [2]
  $ prov serve --root $R --http 127.0.0.1:0 --admin :8081 --admin-token-file admin.token --admin-tls --check
  prov: serve: admin-tls needs --cert PEM and --key PEM
  [2]
  $ prov_serve $R --workers 2 --admin 127.0.0.1:0 --admin-token-file $PWD/admin.token --route '/report/$MA.xml report'
  $ A=$(sed -n 's/.*listening: admin [^ ]*:\([0-9]*\)$/\1/p' "$PROV_SERVE_LOG" | head -1)
  $ export API=http://127.0.0.1:$A AUTH="Authorization: Bearer $(cat admin.token)" DB=$(prov_db serve) HTTP=$PROV_SERVE_HTTP

The documentation's examples:

  $ python3 "$TESTDIR_SRC/../integration/doc_examples.py" "$TESTDIR_SRC/../../docs/API.md"
  30 examples ok

A wrong token, or another scheme, is no token; the answers say nothing
more:

  $ curl -s -w '%{http_code}\n' -H "Authorization: Bearer $(cat admin.token)x" $API/api/v1/devices
  {"error":"authentication required: Authorization: Bearer TOKEN (--admin-token-file)"}
  401
  $ curl -s -o /dev/null -w '%{http_code}\n' -u "x:$(cat admin.token)" $API/api/v1/devices
  401
  $ grep -c 'api: 127.0.0.1:[0-9]*: GET without a valid token' "$PROV_SERVE_LOG"
  3

Bounds and bad bodies, each with the reason:

  $ api() { curl -s -w ' %{http_code}\n' -H "$AUTH" "$@"; }
  $ head -c 4194305 /dev/zero > big && api -X PUT --data-binary @big $API/api/v1/templates/big
  {"error":"request body over 4194304 bytes"}
   413
  $ printf '{"body": "x"}' | api -X PUT -H 'Transfer-Encoding: chunked' --data-binary @- $API/api/v1/templates/t
  {"error":"a chunked body: send a Content-Length"}
   400
  $ api -X PUT -d '[1, 2]' $API/api/v1/templates/t
  {"error":"PUT template: the body must be a JSON object"}
   400
  $ api -X PUT -d '{"body": "x"} {}' $API/api/v1/templates/t
  {"error":"PUT template: bad JSON at byte 14: unexpected character"}
   400
  $ api -X PUT -d '{"body": "x",}' $API/api/v1/templates/t
  {"error":"PUT template: bad JSON at byte 13: unexpected character"}
   400
  $ api -X PUT -d '{"a":[[[[[[[[[[1]]]]]]]]]]}' $API/api/v1/templates/t
  {"error":"PUT template: bad JSON at byte 12: nesting too deep"}
   400
  $ api -X PATCH -d '{"enabled": "yes"}' $API/api/v1/devices/001122334455
  {"error":"PATCH device: enabled must be true or false"}
   400
  $ api -X PATCH -d '{"mac": "001122334499"}' $API/api/v1/devices/001122334455
  {"error":"PATCH device: mac is the path's, not a field"}
   400
  $ api -X PATCH -d '{"variables": {"MA": "x"}}' $API/api/v1/devices/001122334455
  {"error":"PATCH device: variable 'MA': * (glob)
   400
  $ api -d '{"count": 10001}' $API/api/v1/codes
  {"error":"POST codes: count is 1..10000"}
   400
  $ api "$API/api/v1/variables?scope=device"
  {"error":"variables: scope=global, or scope=product|group&owner=NAME"}
   400
  $ api "$API/api/v1/history?mac=%zz"
  {"error":"history: mac=MAC (12 hex digits)"}
   400
  $ api $API/other
  {"error":"no such path (the API is under /api/v1/)"}
   404
  $ api -X PUT -d '{}' $API/api/v1/devices
  {"error":"devices: GET or POST"}
   405

A failed PATCH changed nothing (one transaction):

  $ api -X PATCH -d '{"notes": "changed", "variables": {"ok": "1", "bad name": "2"}}' $API/api/v1/devices/001122334455 | tail -1
   400
  $ prov device show 001122334455 --db $DB | grep -E '^(notes|var) '
  notes      desk 4
  var        Password_1_=(hidden: --show-secrets)
  var        User_ID=1001

A device's timeline and drift are the bytes of `prov device timeline
--json` (its lines as the array) and `prov device drift --json`: one code
path, server/timeline.c. limit keeps the last N requests (the report's
PUT of docs/API.md is one):

  $ curl -s -o /dev/null http://127.0.0.1:$HTTP/001122334455.xml
  $ for i in $(seq 100); do [ "$(prov device timeline 001122334455 --db $DB | grep -c ' request ')" = 3 ] && break; sleep 0.1; done
  $ prov device timeline 001122334455 --json --db $DB | paste -sd, | sed 's/^/{"events":[/; s/$/]}/' > cli.json
  $ api -o api.json "$API/api/v1/devices/001122334455/timeline"
   200
  $ cmp cli.json api.json && grep -o '"path":"[^"]*"' api.json
  "path":"/001122334455.cfg"
  "path":"/report/001122334455.xml"
  "path":"/001122334455.xml"
  $ api "$API/api/v1/devices/001122334455/timeline?limit=1" | grep -o '"path":"[^"]*"'
  "path":"/001122334455.xml"
  $ prov device drift 001122334455 --json --template CP-8841-3PCC --db $DB > cli.json
  $ api -o api.json "$API/api/v1/devices/001122334455/drift?template=CP-8841-3PCC"
   200
  $ cmp cli.json api.json && echo same
  same

Their errors: an unknown device, a bad MAC, since, limit or template,
a device without a report, a template that does not render, another
method or path:

  $ api $API/api/v1/devices/001122334477/timeline
  {"error":"001122334477: not in the inventory"}
   404
  $ api $API/api/v1/devices/001122334477/drift
  {"error":"001122334477: not in the inventory"}
   404
  $ api $API/api/v1/devices/00112233/drift
  {"error":"'00112233' is not a MAC (12 hex digits)"}
   400
  $ api "$API/api/v1/devices/001122334455/timeline?since=2026-02-31"
  {"error":"timeline: since is an age (90s, 15m, 2h, 7d), a UTC date and time (2026-11-28, 2026-11-28T06:05:09Z) or @UNIXSECONDS"}
   400
  $ api "$API/api/v1/devices/001122334455/timeline?since=%zz"
  {"error":"timeline: since is an age (90s, 15m, 2h, 7d), a UTC date and time (2026-11-28, 2026-11-28T06:05:09Z) or @UNIXSECONDS"}
   400
  $ for l in 0 10001 x -1; do api "$API/api/v1/devices/001122334455/timeline?limit=$l"; done
  {"error":"timeline: limit is 1..10000"}
   400
  {"error":"timeline: limit is 1..10000"}
   400
  {"error":"timeline: limit is 1..10000"}
   400
  {"error":"timeline: limit is 1..10000"}
   400
  $ api "$API/api/v1/devices/001122334455/drift?template=a/b"
  {"error":"drift: template is a template's name (at most 127 bytes, without '/')"}
   400
  $ api "$API/api/v1/devices/001122334455/drift?template=nope"
  {"error":"drift: 001122334455: no template 'nope'"}
   409
  $ api "$API/api/v1/devices/001122334455/drift"
  {"error":"drift: 001122334455: no template route known for the device's profile (give one: --template NAME, or template=NAME in the API)"}
   409
  $ api -d '{"mac": "0011223344aa"}' -o /dev/null $API/api/v1/devices
   201
  $ api $API/api/v1/devices/0011223344aa/drift
  {"error":"drift: 0011223344aa: no report received"}
   404
  $ api -X DELETE $API/api/v1/devices/0011223344aa/timeline
  {"error":"timeline: GET"}
   405
  $ api $API/api/v1/devices/001122334455/history
  {"error":"no such path"}
   404
  $ api -X DELETE $API/api/v1/devices/0011223344aa
   204

Over TLS (--admin-tls, the server's --cert and --key), as it must be when
bound to other than loopback:

  $ P=$PROV_TMP/pki && prov_test_ca "$P"
  $ prov serve --root $R --http 127.0.0.1:0 --admin :8081 --admin-token-file admin.token --admin-tls --cert $P/server.pem --key $P/server.key --check
  configuration ok
  $ _prov_spawn tls.log prov serve --root $R --db $(prov_db tls) --user root --http 127.0.0.1:0 --admin 127.0.0.1:0 --admin-tls --admin-token-file $PWD/admin.token --cert $P/server.pem --key $P/server.key --log-level notice
  $ for i in $(seq 200); do grep -q ' ready: ' tls.log && break; sleep 0.05; done
  $ TA=$(sed -n 's/.*listening: admin [^ ]*:\([0-9]*\)$/\1/p' tls.log)
  $ curl -s --cacert $P/ca.pem -H "$AUTH" https://localhost:$TA/api/v1/devices
  {"devices":[]}
  $ curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$TA/api/v1/devices || true
  000

The API's requests are not the device's history:

  $ curl -s -H "$AUTH" "$API/api/v1/history?mac=001122334455" | grep -c '/api/'
  0
  [1]

  $ prov_servers_stop
