prov phone run, the device agent, on an accelerated clock against real
servers on loopback (nginx, a python3 server that trickles, a UDP syslog
collector; tests/integration/servers.sh). The seed's "Resync a Device
Automatically": power-up, periodic and error-retry timing, triggers, line
activity, changes while running, and an agent that never blocks.
Spec: device.md D-SCH-1..9, D-MAC-2 ($PRVST, $PRVTMR), D-LOG-1..2, D-STA-1,
D-RUL-5, D-NET-4; interfaces.md (prov phone run, resync, status, line).

Several agents run at once, one device each (its own MAC, sent as
Syslog_Identifier, and its own profile file on nginx), to keep the test
short. Timing is checked on the device's own clock, the syslog timestamps
(the device's accelerated wall clock, whole seconds): gaps.py reads one
device's Log_Request_Msg / Log_Success_Msg / Log_Failure_Msg lines, replays
the schedule the spec gives (periodic list; retry list, whose index resets
after a success), and prints, for each gap between two attempts, what it
should be. A gap is never shorter than the spec's delay and may be longer
by half of it plus 2 s (the resync's own duration, a loaded machine);
anything else prints "got N". Counts of fetches are ranges.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ mkdir www
  $ prov_nginx www > http.port && HTTP=$(cat http.port)
  $ prov_pyserver slow > slow.port && SLOW=$(cat slow.port)
  $ CLOSED=$(prov_free_port)
  $ prov_syslog "$PWD/syslog.log" > syslog.port && SYSLOG=$(cat syslog.port)
  $ hits() { prov_nginx_sync $HTTP && grep -c "GET /$1 " "$PROV_TMP/nginx-$HTTP/access.log"; }
  $ printf '<flat-profile><GPP_A>1</GPP_A></flat-profile>\n' > www/p.xml
  $ mac=0
  $ device() { # DIR [NAME=VALUE...]: a device whose messages gaps.py reads
  >   local d=$1; shift; mac=$((mac + 1))
  >   prov phone init --state "$d" --mac "$(printf '00:0e:08:00:00:%02x' $mac)" &&
  >   prov phone set --state "$d" "Syslog_Server=127.0.0.1:$SYSLOG" Resync_Random_Delay=0 \
  >     'Syslog_Identifier=$MA' 'Log_Request_Msg=req $PRVST' Log_Success_Msg=ok \
  >     'Log_Failure_Msg=fail $ERR' "$@"
  > }
  $ ident() { prov expand --state "$1" '$MA'; }
  $ declare -A agent
  $ start() { # DIR SCALE: the agent, in the background; its output in DIR.err
  >   prov phone run --state "$1" --time-scale "$2" > "$1.out" 2> "$1.err" & agent[$1]=$!
  > }
  $ stop() { # DIR...: SIGTERM, and the exit status of each
  >   local d; for d; do kill -TERM "${agent[$d]}"; done
  >   for d; do wait "${agent[$d]}"; echo "$d: exit $?"; done
  > }
  $ of() { grep " $(ident "$1") " all.log | sed -E 's/^<[0-9]+>.{15} [^ ]+ //'; } # one device's messages
  $ cat > gaps.py <<'EOF'
  > import datetime, sys
  > ident = sys.argv[1]
  > periodic = [int(x) for x in sys.argv[2].split(",")]
  > retry = [int(x) for x in sys.argv[3].split(",")]
  > attempts, year = [], datetime.date.today().year
  > for line in sys.stdin:
  >     head, _, rest = line.rstrip("\n").partition(">")
  >     stamp, who, msg = rest[:15], rest[16:].split(" ", 1)[0], rest[16:].partition(" ")[2]
  >     if who != ident:
  >         continue
  >     t = datetime.datetime.strptime("%d %s" % (year, stamp), "%Y %b %d %H:%M:%S")
  >     if attempts and t < attempts[-1][0] - datetime.timedelta(days=180):
  >         t = t.replace(year=year + 1)
  >     if msg.startswith("req "):
  >         attempts.append([t, int(msg[4:]), None])
  >     elif attempts and (msg == "ok" or msg.startswith("fail ")):
  >         attempts[-1][2] = msg.split(" ", 1)[0]
  > print("%d attempts" % len(attempts), file=sys.stderr)
  > pi = ri = fails = 0
  > for i, (t, prvst, outcome) in enumerate(attempts):
  >     if i == 0:
  >         continue
  >     prev = attempts[i - 1]
  >     if prev[2] == "ok":
  >         want, label = periodic[min(pi, len(periodic) - 1)], "after ok"
  >         pi, ri, fails = pi + 1, 0, 0
  >     else:
  >         fails += 1
  >         want = retry[min(ri, len(retry) - 1)]
  >         label = "after 1 failure" if fails == 1 else "after 2+ failures"
  >         ri += 1
  >     got = int((t - prev[0]).total_seconds())
  >     out = "%s: +%d, PRVST %d" % (label, want, prvst)
  >     if not want <= got <= want * 1.5 + 2:
  >         out += " got %d" % got
  >     print(out)
  > EOF
  $ gaps() { python3 gaps.py "$(ident "$1")" "$2" "$3" < all.log 2>/dev/null; }

Schedules: seven agents for six seconds
---------------------------------------

per: Resync_Periodic 600,1200 at 600 times real speed: a resync at
power-up, one 600 s later, then every 1200 s (D-SCH-1..3).

retry: the server is down (nothing listens on the port);
Resync_Error_Retry_Delay 60,120 at 120 times: a retry after 60 s,
then every 120 s (D-SCH-5).

reset: retry 60,240, periodic 120, at 120 times; the profile is missing
(404) at first, then there, then corrupt: the first failure after
successes is retried after 60 s again, not 240 (D-SCH-5).

prvtmr: periodic 600 at 600 times, Resync_Trigger_1 "$PRVTMR ge 1200":
power-up and every other periodic resync are skipped, the others
run 1200 s apart (D-SCH-6, D-MAC-2).

fnf: the profile is missing and Resync_Fails_On_FNF is No: a success,
so the next resync is the periodic one (D-RUL-5).

noretry: the server is down and Resync_Error_Retry_Delay is 0: no retry
after the failure, and nothing is due until another event (D-SCH-5).

daily: Resync_At__HHmm_ ten minutes from now, at 600 times, replaces the
periodic schedule (600 s); Resync_On_Reset No, so no power-up resync: one
resync, at HH:mm plus a random 0..600 s (D-SCH-4).

  $ device per "Profile_Rule=http://127.0.0.1:$HTTP/p.xml" Resync_Periodic=600,1200
  $ device retry "Profile_Rule=http://127.0.0.1:$CLOSED/p.xml" Resync_Error_Retry_Delay=60,120
  $ device reset "Profile_Rule=http://127.0.0.1:$HTTP/flip.xml" Resync_Error_Retry_Delay=60,240 Resync_Periodic=120
  $ device prvtmr "Profile_Rule=http://127.0.0.1:$HTTP/prvtmr.xml" Resync_Periodic=600 'Resync_Trigger_1=$PRVTMR ge 1200'
  $ device fnf "Profile_Rule=http://127.0.0.1:$HTTP/none.xml" Resync_Fails_On_FNF=No Resync_Periodic=3600
  $ device noretry "Profile_Rule=http://127.0.0.1:$CLOSED/p.xml" Resync_Error_Retry_Delay=0
  $ at=$(date -d '+10 min' +%H%M)
  $ device daily "Profile_Rule=http://127.0.0.1:$HTTP/daily.xml" Resync_Periodic=600 Resync_On_Reset=No "Resync_At__HHmm_=$at"
  $ cp www/p.xml www/prvtmr.xml; cp www/p.xml www/daily.xml
  $ start per 600; start retry 120; start reset 120; start prvtmr 600; start fnf 60; start noretry 600; start daily 600
  $ sleep 1.5; cp www/p.xml www/flip.tmp && mv www/flip.tmp www/flip.xml
  $ sleep 2.5; printf '<flat-profile><GPP_A>2</GPP' > www/flip.tmp && mv www/flip.tmp www/flip.xml
  $ sleep 2; stop per retry reset prvtmr fnf noretry daily
  per: exit 0
  retry: exit 0
  reset: exit 0
  prvtmr: exit 0
  fnf: exit 0
  noretry: exit 0
  daily: exit 0
  $ prov_syslog_drain syslog.log $SYSLOG > all.log

Each agent says what it does on stderr, one line per rule and per resync:

  $ sed -E "s/:$HTTP\//:\$HTTP\//" per.err | head -6
  prov: phone run: per booting (accelerated clock)
  prov: phone run: next: power-up resync in 0 s
  rule A: http://127.0.0.1:$HTTP/p.xml: ok, 46 bytes, 1 changed
  resync: ok
  rule A: http://127.0.0.1:$HTTP/p.xml: ok, 46 bytes, 0 changed
  resync: ok
  $ tail -1 per.err
  prov: phone run: stopping

per: power-up ($PRVST 0), then 600, then 1200 (the last element repeats),
each periodic one with $PRVST 1:

  $ of per | head -1
  req 0
  $ gaps per 600,1200 60 | head -1
  after ok: +600, PRVST 1
  $ gaps per 600,1200 60 | sort -u
  after ok: +1200, PRVST 1
  after ok: +600, PRVST 1
  $ n=$(hits p.xml); test $n -ge 3 -a $n -le 6 || echo "$n fetches"
  $ prov phone get --state per GPP_A
  GPP_A=1
  $ prov phone status --state per | grep -E '^(last_resync_result|next_resync) '
  last_resync_result   success
  next_resync          periodic at ????-??-?? ??:??:?? (glob)

retry: every retry has $PRVST 2 and the failure's $ERR; the status says
a retry is next, and when (device time, the agent's accelerated clock):

  $ gaps retry 600 60,120 | sort -u
  after 1 failure: +60, PRVST 2
  after 2+ failures: +120, PRVST 2
  $ of retry | grep -c 'fail connection refused' | awk '$1 >= 3 && $1 <= 8 { print "3..8 failures" }'
  3..8 failures
  $ of retry | grep fail | grep -vc 'fail connection refused'
  0
  [1]
  $ prov phone status --state retry | grep -E '^(last_resync_(result|err)|next_resync) '
  last_resync_result   failure
  last_resync_err      connection refused
  next_resync          retry at ????-??-?? ??:??:?? (glob)

reset: the gap after the first failure that follows a success is 60 again:

  $ gaps reset 120 60,240 | sort -u
  after 1 failure: +60, PRVST 2
  after 2+ failures: +240, PRVST 2
  after ok: +120, PRVST 1
  $ gaps reset 120 60,240 | grep -A1 'after ok' | grep -m1 failure
  after 1 failure: +60, PRVST 2
  $ of reset | grep -o 'fail .*' | sort -u
  fail bad profile at line 1 col 23
  fail http file not found
  $ prov phone get --state reset GPP_A
  GPP_A=1

prvtmr: no resync at power-up ($PRVTMR 0) nor 600 s later; then one every
1200 s. A skipped resync is planned as after a success (D-SCH-6):

  $ gaps prvtmr 1200 60 | sort -u
  after ok: +1200, PRVST 1
  $ of prvtmr | grep -c 'req 0'
  0
  [1]
  $ n=$(hits prvtmr.xml); test $n -ge 2 -a $n -le 3 || echo "$n fetches"

fnf: the missing profile counts as success:

  $ grep -E '^(rule|resync)' fnf.err | sed -E "s/:$HTTP\//:\$HTTP\//"
  rule A: http://127.0.0.1:$HTTP/none.xml: ok, 0 bytes, 0 changed
  resync: ok
  $ prov phone status --state fnf | grep -E '^next_resync '
  next_resync          periodic at ????-??-?? ??:??:?? (glob)

noretry: one attempt only:

  $ of noretry
  req 0
  fail connection refused
  $ prov phone status --state noretry | grep -E '^next_resync '
  next_resync          none scheduled

daily: one resync, none at power-up, and none 600 s after it; its request
went out between HH:mm and HH:mm + 10 min (device time):

  $ hits daily.xml
  1
  $ of daily | head -1
  req 1
  $ t=$(grep " $(ident daily) req" all.log | sed -E 's/^<[0-9]+>[A-Z][a-z]{2} [ 0-9]{2} ([0-9]{2}):([0-9]{2}).*/\1\2/')
  $ python3 -c 'import sys; a, t = (int(x[:2]) * 60 + int(x[2:]) for x in sys.argv[1:]); d = (t - a) % 1440; print("in window" if d <= 10 else "at %s, not %s..+10 min" % sys.argv[2:0:-1])' "$at" "$t"
  in window

Triggers, lines, changes, a slow server: eight agents
-----------------------------------------------------

skip: Resync_Trigger_1 "$PRVTMR ge 999999" is false: every automatic
resync is skipped; an explicit one ignores triggers, and runs
beside the agent on the same state directory (D-SCH-6).

run: a true Resync_Trigger_1 (and with it an empty _2): resyncs run.

skip2: a true Resync_Trigger_1 and a false Resync_Trigger_2: skipped.

line: line 2 is in a call when the agent starts (Forced_Resync_Delay
3600, at 60 times): the due resync waits; it runs when the line
is idle again (D-SCH-7).

forced: line 1 busy all along, Forced_Resync_Delay 60 at 60 times: the
resync runs once 60 s have passed since it fell due.

off: Provision_Enable No: nothing is due; enabled with `prov phone
set`, the agent notices within a second and resyncs as at
power-up (D-SCH-8).

slow: a server that answers a byte a second: the agent's fetch is
under way, and status, set and an explicit resync on the same
state directory all work meanwhile; SIGTERM stops the agent at
once (D-NET-4).

noreset: Resync_On_Reset No and no daily time: no resync at all, nothing
due (D-SCH-2, D-SCH-3).

  $ for f in skip run skip2 line forced off noreset; do cp www/p.xml www/$f.xml; done
  $ device skip "Profile_Rule=http://127.0.0.1:$HTTP/skip.xml" Resync_Periodic=600 'Resync_Trigger_1=$PRVTMR ge 999999'
  $ device run "Profile_Rule=http://127.0.0.1:$HTTP/run.xml" Resync_Periodic=600 'Resync_Trigger_1=$PRVTMR ge 0 and "$PN" eq "CP-8841-3PCC"'
  $ device skip2 "Profile_Rule=http://127.0.0.1:$HTTP/skip2.xml" Resync_Periodic=600 'Resync_Trigger_1=$PRVTMR ge 0' 'Resync_Trigger_2=$SWVER lt sip88xx.11-0-0MPP'
  $ device line "Profile_Rule=http://127.0.0.1:$HTTP/line.xml" Forced_Resync_Delay=3600
  $ device forced "Profile_Rule=http://127.0.0.1:$HTTP/forced.xml" Forced_Resync_Delay=60 Resync_Periodic=0
  $ device off "Profile_Rule=http://127.0.0.1:$HTTP/off.xml" Provision_Enable=No
  $ device slow "Profile_Rule=http://127.0.0.1:$SLOW/p.xml"
  $ device noreset "Profile_Rule=http://127.0.0.1:$HTTP/noreset.xml" Resync_On_Reset=No
  $ prov phone line --state line 2 busy; prov phone line --state forced 1 busy
  $ start skip 600; start run 600; start skip2 600; start line 60; start forced 60; start off 1; start slow 1; start noreset 600
  $ sleep 1.5

off and slow, 1.5 s in:

  $ sed -n 2p off.err
  prov: phone run: next: none: provisioning disabled
  $ prov phone set --state off Provision_Enable=Yes
  $ grep -c '^resync' slow.err
  0
  [1]
  $ timeout 5 prov phone status --state slow | grep -c MAC
  1
  $ timeout 5 prov phone set --state slow GPP_C=set-meanwhile
  $ timeout 5 prov phone resync --state slow "http://127.0.0.1:$HTTP/p.xml" | tail -1
  resync: ok
  $ t0=$(date +%s%N); stop slow; t1=$(date +%s%N)
  slow: exit 0
  $ test $(( (t1 - t0) / 1000000 )) -lt 3000 || echo "took $(( (t1 - t0) / 1000000 )) ms to stop"
  $ tail -1 slow.err
  prov: phone run: stopping
  $ prov phone get --state slow GPP_A GPP_C
  GPP_A=1
  GPP_C=set-meanwhile

line, 2 s in, and skip, 2.5 s in:

  $ sleep 0.5; hits line.xml
  0
  [1]
  $ prov phone status --state line | grep -E '^next_resync '
  next_resync          waiting for idle lines* (glob)
  $ prov phone line --state line 2 idle
  $ sleep 0.5; hits skip.xml
  0
  [1]
  $ prov phone status --state skip | grep -E '^next_resync '
  next_resync          periodic at ????-??-?? ??:??:?? (glob)
  $ prov phone resync --state skip | sed -E "s/:$HTTP\//:\$HTTP\//"
  rule A: http://127.0.0.1:$HTTP/skip.xml: ok, 46 bytes, 1 changed
  resync: ok
  $ sleep 2; stop skip run skip2 line forced off noreset
  skip: exit 0
  run: exit 0
  skip2: exit 0
  line: exit 0
  forced: exit 0
  off: exit 0
  noreset: exit 0
  $ prov_syslog_drain syslog.log $SYSLOG > all.log

skip fetched once, for the explicit resync ($PRVST -1) and not by the
agent; skip2 never; run and line and off did:

  $ hits skip.xml; grep -c '^resync' skip.err; of skip | grep req
  1
  0
  req -1
  $ hits skip2.xml
  0
  [1]
  $ n=$(hits run.xml); test $n -ge 3 || echo "$n fetches"
  $ hits line.xml; hits forced.xml; hits off.xml
  1
  1
  1
  $ of off
  req 0
  ok
  $ hits noreset.xml; prov phone status --state noreset | grep -E '^next_resync '
  0
  next_resync          none scheduled

Usage
-----

  $ prov phone run --state per --time-scale 0
  prov: phone run: --time-scale takes 1..10000000 (see 'prov phone run --help')
  [2]
  $ prov phone run --state per extra
  prov: phone run: unexpected argument 'extra' (see 'prov phone run --help')
  [2]
  $ prov phone run --state nowhere
  prov: phone run: nowhere: no device here (create one with `prov phone init`)
  [2]
  $ prov phone line --state per 11 busy
  prov: phone line: line must be 1..10, not '11' (see 'prov phone line --help')
  [2]
