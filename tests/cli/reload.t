prov serve's SIGHUP reload (S-OPS-2): the configuration file, the root
and the certificates are read again, any number of times, and a TLS
session from before a change of trust does not resume.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ cd "$PROV_TMP" && chmod 755 "$PROV_TMP"
  $ mkdir v1 v2 v3 && echo one > v1/a.txt && echo two > v2/a.txt && echo three > v3/a.txt
  $ ln -s v1 current
  $ printf 'root %s/current\n' "$PROV_TMP" > live.conf
  $ prov_serve - --config live.conf
  $ get() { curl -s -w ' %{http_code}\n' "http://127.0.0.1:$PROV_SERVE_HTTP/$1"; }
  $ reload() { # SIGHUP, then wait until the log has N reload results
  >   local n=$1 i
  >   kill -HUP "$PROV_SERVE_PID"
  >   for i in $(seq 2000); do
  >     [ "$(grep -c 'configuration reloaded\|reload refused' "$PROV_SERVE_LOG")" -ge "$n" ] && return
  >     sleep 0.01
  >   done
  >   echo "reload $n not seen"; return 1
  > }
  $ get a.txt
  one
   200

An atomic symlink deploy plus SIGHUP serves the new tree (the root is
opened again on reload):

  $ ln -s v2 next && mv -T next current
  $ reload 1 && get a.txt
  two
   200

A changed root in the file takes effect on reload:

  $ printf 'root %s/v3\n' "$PROV_TMP" > live.conf
  $ reload 2 && get a.txt
  three
   200

A root that disappears makes /healthz fail; recreated, a reload serves it:

  $ get healthz
  ok
   200
  $ mv v3 v3.old && get healthz
  root missing
   503
  $ mkdir v3 && echo new > v3/a.txt && get healthz
  root replaced on disk: reload to serve it
   503
  $ reload 3 && get a.txt && get healthz
  new
   200
  ok
   200

Any number of reloads work (a daily logrotate HUP for a year), without a
leak of descriptors; the last one takes effect:

  $ fds=$(ls /proc/$PROV_SERVE_PID/fd | wc -l)
  $ for i in $(seq 4 203); do reload $i || break; done
  $ grep -c 'too many reloads' "$PROV_SERVE_LOG"
  0
  [1]
  $ [ "$(ls /proc/$PROV_SERVE_PID/fd | wc -l)" -eq "$fds" ] && echo same descriptors
  same descriptors
  $ printf 'root %s/v1\n' "$PROV_TMP" > live.conf
  $ reload 204 && get a.txt
  one
   200
  $ kill -TERM $PROV_SERVE_PID

TLS: a session resumes across a reload that changes nothing, but not
after the trust configuration changed (client-ca replaced, client
certificates now required): TLS 1.3 tickets, TLS 1.2 tickets and the
TLS 1.2 session cache.

  $ prov_test_ca pki
  $ printf 'root %s/v1\nclient-ca %s/pki/ca.pem\n' "$PROV_TMP" "$PROV_TMP" > tls.conf
  $ prov_serve - --config tls.conf --https 127.0.0.1:0 --cert pki/server.pem --key pki/server.key
  $ sclient() { # ARGS: GET /a.txt with openssl s_client; prints New/Reused and the body
  >   printf 'GET /a.txt HTTP/1.1\r\nConnection: close\r\n\r\n' |
  >     timeout 20 openssl s_client -connect 127.0.0.1:$PROV_SERVE_HTTPS -CAfile pki/ca.pem -ign_eof "$@" 2>&1 |
  >     grep -E '^(New|Reused),|^one$' | cut -d, -f1
  > }
  $ for v in "-tls1_3" "-tls1_2" "-tls1_2 -no_ticket"; do
  >   sclient $v -cert pki/client.pem -key pki/client.key -sess_out "s$v.pem"
  > done
  New
  one
  New
  one
  New
  one
  $ reload 1
  $ for v in "-tls1_3" "-tls1_2"; do sclient $v -sess_in "s$v.pem"; done
  Reused
  one
  Reused
  one
  $ printf 'root %s/v1\nclient-ca %s/pki/ca2.pem\nrequire-client-cert yes\n' "$PROV_TMP" "$PROV_TMP" > tls.conf
  $ reload 2
  $ for v in "-tls1_3" "-tls1_2" "-tls1_2 -no_ticket"; do sclient $v -sess_in "s$v.pem"; done
  New
  New
  New
  $ kill -TERM $PROV_SERVE_PID
