The enumeration defence with several workers: the table of misses is one
for all workers (shared memory made before they are forked), so an address
whose connections SO_REUSEPORT spreads over two workers gets its burst of
misses once, not once per worker. Spec: server.md S-SEC-2; reliability.md
R-ENUM; issue 13 item 5.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ DB=$(prov_db serve) R=$PROV_TMP/root && mkdir -p $R
  $ prov device add 001122aa0001 --product CP-8841-3PCC --db $DB
  $ prov device add 001122aa0002 --product CP-8841-3PCC --http-user bob --http-password pwB --db $DB
  $ printf '<flat-profile><GPP_A>$MA</GPP_A></flat-profile>\n' > t.xml && prov template set CP-8841-3PCC t.xml --db $DB
  $ prov_serve $R --workers 2 --log-level debug --route '/$MA.xml template=$PN' --route '/d/$MA.xml template=$PN auth=digest' --enum-miss-burst 20 --enum-miss-rate 1 --enum-cooldown-s 600
  $ H=$PROV_SERVE_HTTP

A walker from 127.0.0.7, one new connection per request (each from a new
source port, so the kernel spreads them over both workers):

  $ cat > walk.py <<'PY'
  > import http.client, sys
  > port, addr, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
  > seen = {}
  > for i in range(n):
  >     c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(addr, 0))
  >     c.request("GET", "/0000000%05x.xml" % i)
  >     r = c.getresponse(); r.read(); c.close()
  >     seen[r.status] = seen.get(r.status, 0) + 1
  > print(" ".join("%d=%d" % (s, seen.get(s, 0)) for s in (200, 404, 429)))
  > PY
  $ python3 walk.py $H 127.0.0.7 200
  200=0 404=21 429=179

Both workers answered its misses (the debug log names each worker's
pid), yet together they let through only the one burst: with a table per
worker the walker would have had up to 42 misses. One cool-down started,
logged once, counted once:

  $ grep -- '127.0.0.7:[0-9]* GET .* -> 404' $PROV_SERVE_LOG | sed 's/\].*//' | sort -u | wc -l
  2
  $ grep -c 'enumeration: 127.0.0.7:[0-9]*: more than 20 misses' $PROV_SERVE_LOG
  1
  $ curl -s http://127.0.0.1:$H/metrics | grep -E '^prov_enum_blocked_total'
  prov_enum_blocked_total 1

Another address, and the real phone, are served meanwhile:

  $ curl -s -o /dev/null -w '%{http_code}\n' --interface 127.0.0.8 http://127.0.0.1:$H/001122aa0001.xml
  200

The table of Digest nc values seen is shared the same way: one valid
request (nonce, nc 1), replayed 20 times on new connections that the
kernel spreads over both workers, is served once; every replay is
challenged again, whichever worker it reaches (issue 13: with a table
per worker, the other worker would serve it once more):

  $ N=$(curl -s -o /dev/null -D - http://127.0.0.1:$H/d/001122aa0002.xml | sed -n 's/.*nonce="\([^"]*\)".*/\1/p')
  $ HA1=$(printf 'bob:prov:pwB' | md5sum | cut -c1-32) HA2=$(printf 'GET:/d/001122aa0002.xml' | md5sum | cut -c1-32)
  $ RESP=$(printf '%s' "$HA1:$N:00000001:c0ffee:auth:$HA2" | md5sum | cut -c1-32)
  $ cat > replay.py <<'PY'
  > import http.client, sys
  > port, auth, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
  > seen = {}
  > for i in range(n):
  >     c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=("127.0.0.8", 0))
  >     c.request("GET", "/d/001122aa0002.xml", headers={"Authorization": auth})
  >     r = c.getresponse(); r.read(); c.close()
  >     seen[r.status] = seen.get(r.status, 0) + 1
  > print(" ".join("%d=%d" % (s, seen.get(s, 0)) for s in (200, 401, 404)))
  > PY
  $ python3 replay.py $H "Digest username=\"bob\", realm=\"prov\", nonce=\"$N\", uri=\"/d/001122aa0002.xml\", qop=auth, nc=00000001, cnonce=\"c0ffee\", response=\"$RESP\"" 21
  200=1 401=20 404=0
  $ grep -- '127.0.0.8:[0-9]* GET /d/001122aa0002.xml' $PROV_SERVE_LOG | sed 's/\].*//' | sort -u | wc -l
  2

  $ prov_servers_stop
