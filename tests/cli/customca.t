Custom_CA_Rule (device.md D-NET-2, D-STA-1; lib/customca.h): after the
profile rules of a resync, whatever their outcome, the phone fetches the PEM
bundle the rule names and, when every certificate in it is a CA, installs it
atomically as its custom CA: every later HTTPS transfer trusts it besides the
configured store. A bad bundle changes nothing but the status line.

The servers are real and independent (tests/integration/servers.sh): nginx
over HTTP serving the bundles, and nginx over HTTPS with a certificate from a
second CA ("prov other CA", ca2) that the phone does not trust. Times in the
status are replaced by TIME.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ P=$PROV_TMP/pki && prov_test_ca "$P"
  $ mkdir www && printf '<flat-profile><GPP_B>over https</GPP_B></flat-profile>\n' > www/p.xml
  $ HTTP=$(prov_nginx www)
  $ OTHER=$(prov_nginx www --https "$P/server2.pem" "$P/server2.key")
  $ OURS=$(prov_nginx www --https "$P/server.pem" "$P/server.key")
  $ st() { prov phone status --state "$1" | grep -E '^custom_ca ' | sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}/TIME/g'; }
  $ resync() { prov phone resync --state "$1" "https://127.0.0.1:$2/p.xml" 2>&1 | tail -1; }

The bundles: the other CA; a corrupt copy of it (one base64 character
changed); a server certificate, which is no CA; the CA followed by a private
key; text that holds no certificate at all.

  $ cp "$P/ca2.pem" www/ca2.pem
  $ sed '3s/^./#/' "$P/ca2.pem" > www/corrupt.pem
  $ cp "$P/server2.pem" www/leaf.pem
  $ cat "$P/ca2.pem" "$P/ca2.key" > www/withkey.pem
  $ echo 'no certificate here' > www/empty.pem
  $ head -c 70000 /dev/zero | tr '\0' A > www/huge.pem

A CP-8841-3PCC that trusts the test CA only: the other server is refused.

  $ prov phone init --state ph --mac 00:0e:08:AB:CD:EF --ca "$P/ca.pem"
  $ resync ph $OTHER
  resync failed: tls verify failed
  $ st ph

Each bad bundle is refused with its reason, and nothing is installed:

  $ for b in corrupt leaf withkey empty huge missing; do
  >   prov phone set --state ph "Custom_CA_Rule=http://127.0.0.1:$HTTP/$b.pem"
  >   resync ph $OTHER
  >   st ph
  > done
  resync failed: tls verify failed
  custom_ca            Not Installed; last attempt TIME: Failed: PEM block 1 is corrupt
  resync failed: tls verify failed
  custom_ca            Not Installed; last attempt TIME: Failed: certificate 1 is not a CA (no basicConstraints CA:TRUE)
  resync failed: tls verify failed
  custom_ca            Not Installed; last attempt TIME: Failed: block 2 is a PRIVATE KEY, not a CERTIFICATE
  resync failed: tls verify failed
  custom_ca            Not Installed; last attempt TIME: Failed: no PEM certificate in the file
  resync failed: tls verify failed
  custom_ca            Not Installed; last attempt TIME: Failed: bundle too large (over 65536 bytes)
  resync failed: tls verify failed
  custom_ca            Not Installed; last attempt TIME: Failed: http file not found
  $ ls ph
  ca.pem
  state.db

The rule names the good bundle: this resync still fails (its profile rule
ran first), and installs the CA; the next one succeeds. The configured store
still counts: the custom CA is added, it replaces nothing.

  $ prov phone set --state ph "Custom_CA_Rule=http://127.0.0.1:$HTTP/ca2.pem"
  $ resync ph $OTHER
  resync failed: tls verify failed
  $ st ph
  custom_ca            Installed (CN=prov other CA); last attempt TIME: Success
  $ cmp ph/customca.pem "$P/ca2.pem"
  $ resync ph $OTHER
  resync: ok
  $ prov phone get --state ph GPP_B
  GPP_B=over https
  $ resync ph $OURS
  resync: ok

A bad bundle later changes nothing: the installed CA stays and still works.

  $ prov phone set --state ph "Custom_CA_Rule=http://127.0.0.1:$HTTP/corrupt.pem"
  $ resync ph $OTHER
  resync: ok
  $ st ph
  custom_ca            Installed (CN=prov other CA); last attempt TIME: Failed: PEM block 1 is corrupt
  $ cmp ph/customca.pem "$P/ca2.pem"

The rule is a rule (no options, like Upgrade_Rule), with conditions and
macros; a rule whose condition is false fetches nothing:

  $ prov phone set --state ph "Custom_CA_Rule=[--key k]http://127.0.0.1:$HTTP/ca2.pem" 2>&1 | sed "s/:$HTTP\//:PORT\//"; echo "exit ${PIPESTATUS[0]}"
  prov: phone set: Custom_CA_Rule: invalid value '[--key k]http://127.0.0.1:PORT/ca2.pem': col 1: options are not allowed in this rule
  exit 2
  $ prov phone set --state ph "Custom_CA_Rule=( \$PN == \"CP-7800\" )? http://127.0.0.1:$HTTP/corrupt.pem"
  $ resync ph $OTHER
  resync: ok
  $ st ph
  custom_ca            Installed (CN=prov other CA); last attempt TIME: Failed: PEM block 1 is corrupt
  $ prov phone set --state ph "Custom_CA_Rule=( \$PN == \"CP-8841-3PCC\" )? http://\$SERVIP:$HTTP/\$MA-missing.pem"
  $ resync ph $OTHER
  resync: ok
  $ st ph
  custom_ca            Installed (CN=prov other CA); last attempt TIME: Failed: http file not found
  $ prov_nginx_sync $HTTP && grep -c 'GET /000e08abcdef-missing.pem' "$PROV_TMP/nginx-$HTTP/access.log"
  1

A phone with no configured store uses the system's; the custom CA is added
to that one too.

  $ prov phone init --state sys --mac 00:0e:08:00:00:01
  $ resync sys $OTHER
  resync failed: tls verify failed
  $ prov phone set --state sys "Custom_CA_Rule=http://127.0.0.1:$HTTP/ca2.pem"
  $ resync sys $OTHER
  resync failed: tls verify failed
  $ resync sys $OTHER
  resync: ok
  $ st sys
  custom_ca            Installed (CN=prov other CA); last attempt TIME: Success

The agent (prov phone run) does not wait for the next resync when the rule
changes: it fetches the bundle on its own within its once-a-second look at
the state. Here no resync is due (the power-up one done, no periodic one).

  $ prov phone init --state ag --mac 00:0e:08:00:00:02 --ca "$P/ca.pem"
  $ prov phone set --state ag Resync_Random_Delay=0 Resync_Periodic=0 "Profile_Rule=http://127.0.0.1:$HTTP/p.xml"
  $ prov phone run --state ag > ag.out 2> ag.err & agent=$!
  $ for i in $(seq 100); do prov phone status --state ag | grep -q '^last_resync_result *success' && break; sleep 0.1; done
  $ prov phone status --state ag | grep '^last_resync_result'
  last_resync_result   success
  $ st ag
  $ before=$(prov phone status --state ag | grep '^last_resync_time')
  $ prov_nginx_sync $HTTP && hits=$(grep -c 'GET /ca2.pem' "$PROV_TMP/nginx-$HTTP/access.log")
  $ prov phone set --state ag "Custom_CA_Rule=http://127.0.0.1:$HTTP/ca2.pem"
  $ for i in $(seq 100); do [ -n "$(st ag)" ] && break; sleep 0.1; done
  $ st ag
  custom_ca            Installed (CN=prov other CA); last attempt TIME: Success
  $ prov_nginx_sync $HTTP && echo $(( $(grep -c 'GET /ca2.pem' "$PROV_TMP/nginx-$HTTP/access.log") - hits ))
  1
  $ [ "$(prov phone status --state ag | grep '^last_resync_time')" = "$before" ] && echo no resync
  no resync

Once only: the same rule is not fetched again until a resync.

  $ sleep 1.5
  $ prov_nginx_sync $HTTP && echo $(( $(grep -c 'GET /ca2.pem' "$PROV_TMP/nginx-$HTTP/access.log") - hits ))
  1
  $ kill -TERM $agent; wait $agent
