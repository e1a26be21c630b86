R-SLOW and S-SEC-5: 2,000 slow clients (half a header each, from
127.0.0.2-9) hold connections open while a probe from 127.0.0.1 keeps being
served; the header timeout then ends every slow one. Over the per-client
cap a client gets 503, not a wait.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ ulimit -n 8192
  $ R=$PROV_TMP/root && mkdir -p $R && chmod 755 $PROV_TMP $R
  $ printf '<flat-profile/>\n' > $R/a.xml && chmod 644 $R/a.xml
  $ prov_serve $R --http-header-timeout-ms 2000 --http-max-per-client 300
  $ python3 "$TESTDIR_SRC/../integration/slow_clients.py" $PROV_SERVE_HTTP 2000 20 /a.xml
  slow connections open: 2000
  probes answered 200: 20 of 20
  slow connections closed by the server: 2000
  $ curl -s http://127.0.0.1:$PROV_SERVE_HTTP/metrics | grep '^prov_active{proto="http"}'
  prov_active{proto="http"} 1

The per-client cap: 300 idle connections from one address, the 301st is
answered 503 at once:

  $ python3 - $PROV_SERVE_HTTP <<'PY'
  > import socket, sys
  > port = int(sys.argv[1])
  > held = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
  > extra = socket.create_connection(("127.0.0.1", port), timeout=5)
  > extra.sendall(b"GET /a.xml HTTP/1.1\r\nHost: x\r\n\r\n")
  > print(extra.recv(100).split(b"\r\n")[0].decode())
  > PY
  HTTP/1.1 503 Service Unavailable
  $ curl -s http://127.0.0.1:$PROV_SERVE_HTTP/metrics | grep '^prov_overload_total{proto="http"}'
  prov_overload_total{proto="http"} 1

Issue 12, item 5: started under the common soft limit of 1,024 open files,
the server raises it to the hard limit, so 1,100 idle connections do not
leave a new client unanswered:

  $ kill $PROV_SERVE_PID
  $ ulimit -Sn 1024
  $ prov_serve $R --http-max-per-client 5000 --log-level info
  $ ulimit -Sn 8192
  $ grep -c 'open files: soft limit 1024 raised to the hard limit' $PROV_SERVE_LOG
  1
  $ python3 "$TESTDIR_SRC/../integration/idle_conns.py" $PROV_SERVE_HTTP 1100 /a.xml
  HTTP/1.1 200 OK

Where the hard limit itself is 1,024, the server keeps a reserve
descriptor: out of descriptors, it closes the reserve, accepts, answers
503 with Retry-After and closes, instead of leaving clients unanswered;
once the idle connections are gone it serves again:

  $ prlimit --pid $PROV_SERVE_PID --nofile=1024:1024
  $ python3 "$TESTDIR_SRC/../integration/idle_conns.py" $PROV_SERVE_HTTP 1100 /a.xml
  HTTP/1.1 503 Service Unavailable
  Retry-After: 1
  $ grep -c 'closed at once after a 503: out of descriptors' $PROV_SERVE_LOG
  [1-9][0-9]* (re)
  $ for i in $(seq 200); do
  >   [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PROV_SERVE_HTTP/a.xml)" = 200 ] && break
  >   sleep 0.1
  > done; echo $i
  [0-9]+ (re)
  $ curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$PROV_SERVE_HTTP/a.xml
  200

Past the connection cap with HTTP_REFUSED_MAX (64) answers already in
flight, a client still gets a 503, not a silent close (with
--http-overload-wait-ms 0: no wait in the accept backlog first):

  $ kill $PROV_SERVE_PID
  $ prov_serve $R --http-max-conns 10 --http-max-per-client 5000 --http-overload-wait-ms 0
  $ python3 "$TESTDIR_SRC/../integration/idle_conns.py" $PROV_SERVE_HTTP 200 /a.xml
  HTTP/1.1 503 Service Unavailable
  Retry-After: 1
