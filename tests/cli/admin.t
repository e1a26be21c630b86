The phone's admin web interface in a real browser: `prov phone run --admin`
on loopback, driven by headless Chromium (Debian `chromium`, in
scripts/deps.sh). --dump-dom reads pages (credentials in the URL answer the
Digest challenge); the form is filled in and submitted by the browser
itself over the DevTools protocol on --remote-debugging-pipe (JSON on fds
3 and 4; python3's standard library only), so the CSRF cookie and token,
Origin and the redirect are the browser's own. nginx serves the profile of
the resync and the other site's page. Spec: device.md D-TRG-1, D-PAR-1,
D-PAR-5, D-STA-1; reliability.md R-ADMIN.
Skipped (exit 80) when chromium is absent. --no-sandbox: the suite runs as
root, where Chromium refuses its sandbox.

  $ command -v chromium > /dev/null || exit 80
  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ mkdir www
  $ prov_nginx www > http.port && HTTP=$(cat http.port)
  $ printf '<flat-profile><GPP_B>from nginx</GPP_B></flat-profile>\n' > www/b.xml
  $ prov phone init --state d --mac 00:0e:08:00:00:42
  $ prov phone set --state d Resync_On_Reset=No GPP_SA=very-secret-value
  $ prov phone run --state d --admin 127.0.0.1:0 2> agent.err & agent=$!
  $ for i in $(seq 100); do grep -qs 'admin web on port' agent.err && break; sleep 0.1; done
  $ PORT=$(sed -n 's/.*admin web on port //p' agent.err)
  $ chrome() { # URL: the DOM after load
  >   timeout 60 chromium --headless=new --no-sandbox --disable-gpu \
  >     --user-data-dir="$PWD/chrome-dump" --dump-dom "$1" 2> /dev/null
  > }

No admin password yet: the page only says how to set it.

  $ chrome "http://127.0.0.1:$PORT/admin/advanced" > setup.html
  $ grep -o 'id="setup"' setup.html
  id="setup"
  $ grep -o '<pre>prov phone set --state d Admin_Password=...</pre>' setup.html
  <pre>prov phone set --state d Admin_Password=...</pre>
  $ grep -c '<input' setup.html
  0
  [1]

With one, the page shows the parameters as the phone groups them, and
Info > Status; secrets never reach the browser.

  $ prov phone set --state d 'Admin_Password=pa ss' User_Password=u1
  $ chrome "http://admin:pa%20ss@127.0.0.1:$PORT/admin/advanced" > page.html
  $ grep -o '<b id="who">[a-z]*</b>' page.html
  <b id="who">admin</b>
  $ grep -o '<h2 id="[a-z0-9-]*">[^<]*</h2>' page.html
  <h2 id="tab-0">Voice &gt; Provisioning</h2>
  <h2 id="tab-1">Voice &gt; System</h2>
  <h2 id="tab-2">Voice &gt; Ext</h2>
  <h2 id="tab-3">Voice &gt; Phone</h2>
  <h2 id="tab-4">Voice &gt; SIP</h2>
  <h2 id="tab-5">Voice &gt; Regional</h2>
  <h2 id="tab-6">Voice &gt; User</h2>
  <h2 id="tab-7">Voice &gt; Att Console</h2>
  <h2 id="info-status">Info &gt; Status</h2>
  $ grep -o '<legend>[^<]*</legend>' page.html | head -6
  <legend>Configuration Profile</legend>
  <legend>Firmware Upgrade</legend>
  <legend>General Purpose Parameters</legend>
  <legend>CA Settings</legend>
  <legend>MIC Cert Settings</legend>
  <legend>Encryption</legend>
  $ grep -o '<legend>[^<]*</legend>' page.html | tail -4
  <legend>Provisioning Status</legend>
  <legend>Custom CA Status</legend>
  <legend>MIC Cert Refresh Status</legend>
  <legend>Reboot History</legend>

Catalogue parameters have their place too, on the product's lines only
(a CP-8841 has 10 lines and no key expansion module):

  $ grep -o 'name="\(Enable_Web_Server\|SIP_Port_10_\|SIP_Port_11_\|Unit_1_Key_1_\)"' page.html
  name="Enable_Web_Server"
  name="SIP_Port_10_"
  $ grep -c 'very-secret-value\|pa ss' page.html
  0
  [1]
  $ grep -o 'id="p-GPP_SA" name="GPP_SA" value=""' page.html
  id="p-GPP_SA" name="GPP_SA" value=""

The user login sees only what `ua` grants it (Display_Name_N_ by default).

  $ chrome "http://user:u1@127.0.0.1:$PORT/admin/advanced" > user.html
  $ grep -o '<b id="who">[a-z]*</b>' user.html
  <b id="who">user</b>
  $ grep -o '<input [^>]*name="[A-Za-z_0-9]*"' user.html | grep -o 'name="[^"]*"' | LC_ALL=C sort
  name="Display_Name_10_"
  name="Display_Name_1_"
  name="Display_Name_2_"
  name="Display_Name_3_"
  name="Display_Name_4_"
  name="Display_Name_5_"
  name="Display_Name_6_"
  name="Display_Name_7_"
  name="Display_Name_8_"
  name="Display_Name_9_"
  name="csrf"

The browser fills in the form and submits it; an invalid value is shown
on the page naming the parameter, and nothing of that submission is kept.

  $ loaded="document.readyState == 'complete' && document.getElementById('save') ? 'loaded' : null"
  $ submit() { # NAME VALUE ...: fill in and submit; then the message shown
  >   local js="(function(){" 
  >   while [ $# -gt 0 ]; do js="$js document.getElementById('p-$1').value = '$2';"; shift 2; done
  >   echo "$js document.getElementById('save').click(); return 'submitted'; })()"
  > }
  $ shown() { echo "(function(){ var m = document.getElementById('$1'); return m ? m.textContent : null; })()"; }
  $ python3 "$TESTDIR_SRC/../integration/cdp.py" "http://admin:pa%20ss@127.0.0.1:$PORT/admin/advanced" . "$loaded" \
  >   "$(submit GPP_A 'a <b> & c' Resync_Periodic 7200)" "$(shown msg)" \
  >   "$(submit GPP_C kept-not Resync_At__HHmm_ 2561)" "$(shown error)" \
  >   "document.getElementById('p-GPP_A').value"
  loaded
  submitted
  Saved: 2 parameter(s) changed.
  submitted
  Resync_At__HHmm_: invalid value '2561': * (glob)
  a <b> & c
  $ prov phone get --state d GPP_A Resync_Periodic GPP_C GPP_SA Resync_At__HHmm_
  GPP_A=a <b> & c
  Resync_Periodic=7200
  GPP_C=
  GPP_SA=********
  Resync_At__HHmm_=

R-ADMIN: no cross-site request changes state. The browser, logged in
(its credentials cached), visits a page on another origin (nginx) that
loads /admin/resync and /admin/reboot as images and posts a form to
/admin/advanced (XHTML: the test nginx serves .xml as text/xml). Chromium sends the cached credentials along; the agent
refuses all three (Sec-Fetch-Site, Origin), nothing is fetched, nothing
changes.

  $ cat > www/elsewhere.xml <<EOF
  > <html xmlns="http://www.w3.org/1999/xhtml"><head><title>elsewhere</title></head><body>
  > <img src="http://127.0.0.1:$PORT/admin/resync?http%3A%2F%2F127.0.0.1%3A$HTTP%2Fevil.xml"/>
  > <img src="http://127.0.0.1:$PORT/admin/reboot"/>
  > <form id="f" method="post" action="http://127.0.0.1:$PORT/admin/advanced">
  > <input name="GPP_D" value="pwned"/></form>
  > <script>setTimeout(function () { document.getElementById('f').submit(); }, 500);</script>
  > </body></html>
  > EOF
  $ python3 "$TESTDIR_SRC/../integration/cdp.py" "http://admin:pa%20ss@127.0.0.1:$PORT/admin/advanced" . "$loaded" \
  >   "(function(){ location.href = 'http://127.0.0.1:$HTTP/elsewhere.xml'; return 'away'; })()" \
  >   "document.body && document.body.innerText.indexOf('Refused') == 0 ? document.body.innerText.trim() : null"
  loaded
  away
  Refused: the request came from another site.
  $ grep 'sent from another site' agent.err | sort
  prov: admin: refused GET /admin/reboot: sent from another site
  prov: admin: refused GET /admin/resync: sent from another site
  prov: admin: refused POST /admin/advanced: sent from another site
  $ prov_nginx_sync $HTTP; grep -c 'evil.xml' "$PROV_TMP/nginx-$HTTP/access.log"
  0
  [1]
  $ prov phone get --state d GPP_D
  GPP_D=
  $ grep -c 'rebooting' agent.err
  0
  [1]

A resync from the browser's address bar fetches from nginx; a reboot is
recorded and shown on the status page.

  $ chrome "http://admin:pa%20ss@127.0.0.1:$PORT/admin/resync?http%3A%2F%2F127.0.0.1%3A$HTTP%2Fb.xml" | grep -o 'Resync started: [^<]*'
  Resync started: http://127.0.0.1:*/b.xml (glob)
  $ for i in $(seq 100); do prov phone get --state d GPP_B | grep -q nginx && break; sleep 0.1; done
  $ prov phone get --state d GPP_B
  GPP_B=from nginx
  $ chrome "http://admin:pa%20ss@127.0.0.1:$PORT/admin/reboot" | grep -o 'Rebooting.'
  Rebooting.
  $ chrome "http://admin:pa%20ss@127.0.0.1:$PORT/admin/advanced" > after.html
  $ grep -o '<td id="st-last_resync_result">[a-z]*</td>' after.html
  <td id="st-last_resync_result">success</td>
  $ grep -c '<li>[-0-9]* [0-9:]* User Triggered</li>' after.html
  1
  $ prov phone status --state d | grep -c '^reboot_reasons  *[-0-9]* [0-9:]* User Triggered$'
  1

/admin/upgrade?URL is routed (tests/cli/upgrade.t covers it); an image that
is the running version is refused:

  $ curl -s -o /dev/null -w '%{http_code}\n' --digest -u 'admin:pa ss' "http://127.0.0.1:$PORT/admin/upgrade?http://x/sip88xx.11-3-1MPP-123.loads"
  409

  $ kill -TERM $agent; wait $agent; echo "exit $?"
  exit 0
  $ grep -c 'prov: admin: reboot (User Triggered)' agent.err
  1
