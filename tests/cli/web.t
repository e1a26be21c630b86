The fleet's web page on the admin listener (server.md S-OPS-4; issue 15
item 4), in headless Chromium as tests/cli/admin.t drives the phone's: a
fleet of 1,000 devices listed, searched, one opened, its timeline shown,
disabled through its form; every value escaped; no state change without
the page's CSRF value. Screenshots of the list and of the device page are
kept as artifacts in build/.../artifacts (or $PROV_ARTIFACTS).
Skipped (exit 80) when chromium is absent. --no-sandbox: the suite runs as
root, where Chromium refuses its sandbox.

  $ command -v chromium > /dev/null || exit 80
  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ ART=${PROV_ARTIFACTS:-$(dirname "$(command -v prov)")/../artifacts} && mkdir -p "$ART"
  $ R=$PROV_TMP/root && mkdir -p $R && DB=$(prov_db serve)
  $ head -c 32 /dev/urandom | xxd -p -c 64 > admin.token && chmod 600 admin.token && T=$(cat admin.token)

1,000 devices, one of them with values that would be markup:

  $ python3 -c '
  > print("mac,product,group,serial")
  > for i in range(1000):
  >     print("0200000%05x,CP-8841-3PCC,%s,FCH%05d" % (i, "floor-%d" % (i % 10), i))
  > print("000e08abcdef,CP-7841-3PCC,\"<b>x</b>&\",<script>alert(1)</script>")' > fleet.csv
  $ prov device import fleet.csv --db $DB
  $ printf '<flat-profile><GPP_A>$MA</GPP_A></flat-profile>\n' > t.xml && prov template set main t.xml --db $DB
  $ prov_serve $R --admin 127.0.0.1:0 --admin-token-file $PWD/admin.token --route '/$MA.xml template=main' --route '/report/$MA.xml report'
  $ A=$(sed -n 's/.*listening: admin [^ ]*:\([0-9]*\)$/\1/p' "$PROV_SERVE_LOG" | head -1)
  $ curl -s -o /dev/null -A 'Cisco-CP-7841-3PCC/11.3.1 (000e08abcdef)' http://127.0.0.1:$PROV_SERVE_HTTP/000e08abcdef.xml
  $ printf '<14>000e08abcdef: Successful resync <evil/>' > /dev/udp/127.0.0.1/$PROV_SERVE_SYSLOG
  $ for i in $(seq 100); do curl -s -H "Authorization: Bearer $T" "http://127.0.0.1:$A/api/v1/devices/000e08abcdef" | grep -q 'Successful' && break; sleep 0.1; done

Without the token there is nothing; the JSON API never takes the page's
Basic credentials (a browser would send them cross-site):

  $ curl -s -w ' %{http_code}\n' http://127.0.0.1:$A/ui/
  401: the admin token is the password (any user name)
   401
  $ curl -s -o /dev/null -w '%{http_code}\n' -u "x:$T" http://127.0.0.1:$A/api/v1/devices
  401
  $ curl -s -o /dev/null -w '%{http_code}\n' -u "x:${T}x" http://127.0.0.1:$A/ui/
  401

The list, in the browser:

  $ chrome() { timeout 120 chromium --headless=new --no-sandbox --disable-gpu \
  >   --user-data-dir="$PWD/chrome-dump" --dump-dom "$1" 2> /dev/null; }
  $ chrome "http://admin:$T@127.0.0.1:$A/ui/" > list.html
  $ grep -c '<tr class="dev' list.html
  1001
  $ grep -o '<p id="count">[^<]*</p>' list.html
  <p id="count">1001 of 1001 devices</p>
  $ grep -o '<td>&lt;b&gt;x&lt;/b&gt;&amp;</td><td>&lt;script&gt;alert(1)&lt;/script&gt;</td>' list.html
  <td>&lt;b&gt;x&lt;/b&gt;&amp;</td><td>&lt;script&gt;alert(1)&lt;/script&gt;</td>
  $ grep -c '<script>alert' list.html
  0
  [1]
  $ grep -o '<td>Cisco-CP-7841-3PCC/11.3.1 (000e08abcdef)</td><td>Successful resync &lt;evil/&gt;</td>' list.html
  <td>Cisco-CP-7841-3PCC/11.3.1 (000e08abcdef)</td><td>Successful resync &lt;evil/&gt;</td>
  $ chrome "http://admin:$T@127.0.0.1:$A/ui/?q=floor-3" | grep -o '<p id="count">[^<]*</p>'
  <p id="count">100 of 1001 devices</p>

A device's page shows its drift: what its last report differs in from
what the server renders for it now (prov device drift), escaped like
everything else:

  $ curl -s -u "x:$T" http://127.0.0.1:$A/ui/device/020000000001 | grep -o '<p id="drift-summary">[^<]*</p>'
  <p id="drift-summary">020000000001: no report received</p>
  $ printf '<flat-profile><GPP_A>&lt;i&gt;old</GPP_A></flat-profile>' > rep.xml
  $ curl -s -o /dev/null -w '%{http_code}\n' -T rep.xml http://127.0.0.1:$PROV_SERVE_HTTP/report/000e08abcdef.xml
  204
  $ curl -s -u "x:$T" http://127.0.0.1:$A/ui/device/000e08abcdef > dev.html
  $ grep -o '<table id="drift">.*</table>' dev.html
  <table id="drift"><tr><th>Parameter</th><th>Server</th><th>Device</th></tr><tr><th>GPP_A</th><td>000e08abcdef</td><td>&lt;i&gt;old</td></tr></table>
  $ grep -o '<p id="drift-summary">[^<]*' dev.html | sed -E 's/of .* UTC/of TIME UTC/'
  <p id="drift-summary">1 parameter differs from the report of TIME UTC

The browser searches as one types, opens a device, and disables it with
the page's own form (the CSRF value is the page's); screenshots are taken
along the way.

  $ text() { echo "(function(){ var e = document.getElementById('$1'); return e && document.readyState == 'complete' ? e.textContent : null; })()"; }
  $ python3 "$TESTDIR_SRC/../integration/cdp.py" "http://admin:$T@127.0.0.1:$A/ui/" "$ART" "$(text count)" shot:web-fleet.png \
  >   "(function(){ var q = document.getElementById('q'); q.value = '0200000003e7'; q.dispatchEvent(new Event('input')); return 'typed'; })()" \
  >   "$(text count)" \
  >   "(function(){ document.querySelector('tr.dev:not([hidden]) a').click(); return 'clicked'; })()" \
  >   "$(text mac)" "$(text enabled)" "document.querySelectorAll('#requests tr').length" shot:web-device.png \
  >   "(function(){ var b = document.getElementById('toggle'); if (!b || b.textContent != 'Disable') return null; b.click(); return 'disabling'; })()" \
  >   "(function(){ var e = document.getElementById('enabled'); return e && e.textContent == 'no' ? 'disabled' : null; })()"
  1001 of 1001 devices
  screenshot web-fleet.png
  typed
  1 of 1001 devices
  clicked
  0200000003e7
  yes
  1
  screenshot web-device.png
  disabling
  disabled
  $ prov device show 0200000003e7 --db $DB | grep '^enabled'
  enabled    no
  $ for f in web-fleet.png web-device.png; do python3 -c '
  > import struct, sys
  > d = open(sys.argv[1], "rb").read()
  > w, h = struct.unpack(">II", d[16:24])
  > print(d[:8] == b"\x89PNG\r\n\x1a\n", w, h > 600, len(d) > 10000)' "$ART/$f"; done
  True 1280 True True
  True 1280 True True

The device page shows its timeline, escaped:

  $ chrome "http://admin:$T@127.0.0.1:$A/ui/device/000e08abcdef" > dev.html
  $ grep -o '<td>Successful resync &lt;evil/&gt;</td>' dev.html
  <td>Successful resync &lt;evil/&gt;</td>
  $ grep -o '<td>http GET /000e08abcdef.xml</td><td>200</td>' dev.html
  <td>http GET /000e08abcdef.xml</td><td>200</td>

No state change without the form's CSRF value, even with the credentials
(what another site's page could make a browser send); a GET changes
nothing:

  $ curl -s -w ' %{http_code}\n' -u "x:$T" -d 'action=disable' http://127.0.0.1:$A/ui/device/000e08abcdef
  403
   403
  $ curl -s -w ' %{http_code}\n' -u "x:$T" -d "action=disable&csrf=$(printf '0%.0s' $(seq 64))" http://127.0.0.1:$A/ui/device/000e08abcdef
  403
   403
  $ curl -s -o /dev/null -w '%{http_code}\n' -u "x:$T" "http://127.0.0.1:$A/ui/device/000e08abcdef?action=disable"
  200
  $ prov device show 000e08abcdef --db $DB | grep '^enabled'
  enabled    yes
  $ C=$(grep -o 'name="csrf" value="[0-9a-f]*"' dev.html | cut -d'"' -f4)
  $ curl -s -o /dev/null -D - -u "x:$T" -d "action=disable&csrf=$C" http://127.0.0.1:$A/ui/device/000e08abcdef | grep -E '^(HTTP|Location)' | tr -d '\r'
  HTTP/1.1 303 See Other
  Location: /ui/device/000e08abcdef
  $ prov device show 000e08abcdef --db $DB | grep '^enabled'
  enabled    no
  $ curl -s -D - -o /dev/null -u "x:$T" http://127.0.0.1:$A/ui/ | grep -i '^content-security-policy' | tr -d '\r'
  Content-Security-Policy: default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'

  $ prov_servers_stop
