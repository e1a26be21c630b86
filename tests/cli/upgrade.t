Firmware upgrade and the transition license against the real `prov serve`
on loopback: Upgrade_Rule checked after the profile rules, the image
downloaded, verified (its SHA-256 header), "installed" ($SWVER), the
reboot reason Upgrade, the Log_Upgrade_* messages, no second download,
a corrupt image refused with $UPGERR, Downgrade_Rev_Limit,
Trans_Auth_Rule, and the agent: reboot after the upgrade, resync after
it, /admin/upgrade?URL. Spec: device.md D-UPG-1..3, D-LOG-2, D-STA-1,
D-TRG-1; the image header is upgrade.h's.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ R=$PROV_TMP/root && mkdir -p $R/fw $R/lic && chmod 755 $PROV_TMP $R $R/fw $R/lic

Images: a header line `PROVIMG1 version=V size=N sha256=HEX` and the
payload. The 12-0-2 one carries a wrong digest:

  $ mkimage() { # VERSION FILE [bad]: a headered image of FILE's bytes
  >   local sum; sum=$(sha256sum "$2" | cut -d' ' -f1)
  >   [ -n "$3" ] && sum=$(printf '%s' "$sum" | tr 0-9a-f 1-9a-f0)
  >   printf 'PROVIMG1 version=%s size=%s sha256=%s\n' "$1" "$(stat -c %s "$2")" "$sum"; cat "$2"
  > }
  $ head -c 200000 /dev/urandom > payload
  $ mkimage sip88xx.12-0-1MPP-1 payload > $R/fw/sip88xx.12-0-1MPP-1.loads
  $ mkimage sip88xx.12-0-2MPP-1 payload bad > $R/fw/sip88xx.12-0-2MPP-1.loads
  $ mkimage sip88xx.12-1-1MPP-1 payload > $R/fw/sip88xx.12-1-1MPP-1.loads
  $ printf 'LICENSE E2312 classic\n' > $R/lic/E2312.lic
  $ prov_serve $R
  $ H=$PROV_SERVE_HTTP S=$PROV_SERVE_SYSLOG
  $ profile() { # FILE NAME=VALUE...: a flat profile that also sends syslog to prov serve
  >   local f=$1 kv; shift
  >   { printf '<flat-profile>\n  <Syslog_Server>127.0.0.1:%s</Syslog_Server>\n' $S
  >     for kv; do printf '  <%s>%s</%s>\n' "${kv%%=*}" "${kv#*=}" "${kv%%=*}"; done
  >     printf '</flat-profile>\n'; } > "$R/$f"
  > }
  $ clean() { sed -E -e "s/:$H\//:\$H\//g" -e 's/ok, [0-9]+ bytes/ok, N bytes/' -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}/TIME/g'; }
  $ resync() { prov phone resync "$@" 2>&1 | clean; return "${PIPESTATUS[0]}"; }
  $ status() { prov phone status --state "$1" | grep -E '^(SWVER|reboot_reasons|upgrade_|license_)' | clean; }
  $ gets() { # PATH: how many times prov serve sent it (the history commits in batches)
  >   local i; for i in $(seq 40); do sleep 0.05; done
  >   prov log --db $(prov_db serve) | awk -v p="$1" '$9 == p' | wc -l
  > }
  $ syslog() { # MAC: what prov serve's collector got from it, Log_Upgrade_* ones
  >   local i; for i in $(seq 40); do sleep 0.05; done
  >   prov log --db $(prov_db serve) --syslog --mac "$1" | cut -d' ' -f6- | grep -i upgrade | clean
  > }

An upgrade on a resync (seed: "Upgrade Rule")
----------------------------------------------

The profile sets an upgrade rule with a condition on $SWVER, as the guide
writes them:

  $ profile up.xml "Upgrade_Rule=( \$SWVER ne sip88xx.12-0-1MPP-1 )? http://127.0.0.1:$H/fw/sip88xx.12-0-1MPP-1.loads"
  $ prov phone init --state ph --mac 00:0e:08:00:00:01 --swver sip88xx.11-3-1MPP-123
  $ prov expand --state ph '$SWVER $VERSION [$UPGST] [$UPGERR]'
  sip88xx.11-3-1MPP-123 Cisco-CP-8841-3PCC/11.3.1 [] []
  $ resync --state ph "http://127.0.0.1:$H/up.xml"
  rule X: http://127.0.0.1:$H/up.xml: ok, N bytes, 2 changed
  resync: ok
  upgrade: installed sip88xx.12-0-1MPP-1, rebooting

The new version is the device's, persisted; the reboot reason is Upgrade
(D-UPG-2, D-STA-1):

  $ prov expand --state ph '$SWVER $VERSION [$UPGST] [$UPGERR]'
  sip88xx.12-0-1MPP-1 Cisco-CP-8841-3PCC/12.0.1 [1] []
  $ status ph
  SWVER                sip88xx.12-0-1MPP-1
  reboot_reasons       TIME Upgrade
  upgrade_check        sip88xx.12-0-1MPP-1: installed, 200121 bytes
  upgrade_st           1
  upgrade_last_url     http://127.0.0.1:$H/fw/sip88xx.12-0-1MPP-1.loads
  upgrade_last_version sip88xx.12-0-1MPP-1
  upgrade_last_result  success
  upgrade_last_err     
  upgrade_last_time    TIME
  upgrade_next_retry   none

Log_Upgrade_Request_Msg and Log_Upgrade_Success_Msg, expanded (D-LOG-2):

  $ syslog 000e08000001
  CP-8841-3PCC 00:0e:08:00:00:01 -- Requesting upgrade http://127.0.0.1:$H/fw/sip88xx.12-0-1MPP-1.loads
  CP-8841-3PCC 00:0e:08:00:00:01 -- Successful upgrade http://127.0.0.1:$H/fw/sip88xx.12-0-1MPP-1.loads -- 

Resyncing again downloads nothing: the rule's condition is false now. A
rule without the condition is not downloaded either: the image is the
running version:

  $ resync --state ph "http://127.0.0.1:$H/up.xml"
  rule X: http://127.0.0.1:$H/up.xml: ok, N bytes, 0 changed
  resync: ok
  $ status ph | grep upgrade_check
  upgrade_check        no alternative of the rule taken
  $ profile plain.xml
  $ prov phone set --state ph "Upgrade_Rule=http://127.0.0.1:$H/fw/sip88xx.12-0-1MPP-1.loads"
  $ resync --state ph "http://127.0.0.1:$H/plain.xml" | tail -1
  resync: ok
  $ status ph | grep upgrade_check
  upgrade_check        sip88xx.12-0-1MPP-1: image is the running version
  $ gets /fw/sip88xx.12-0-1MPP-1.loads
  1

A corrupt image (D-UPG-1, "images that fail verification")
-----------------------------------------------------------

The digest does not match: nothing is installed, $UPGERR says why, the
failure message goes out, and the resync itself still succeeded:

  $ profile bad.xml "Upgrade_Rule=http://127.0.0.1:$H/fw/sip88xx.12-0-2MPP-1.loads" Upgrade_Error_Retry_Delay=3600
  $ prov phone init --state bad --mac 00:0e:08:00:00:02 --swver sip88xx.11-3-1MPP-123
  $ resync --state bad "http://127.0.0.1:$H/bad.xml"
  rule X: http://127.0.0.1:$H/bad.xml: ok, N bytes, 2 changed
  resync: ok
  $ prov expand --state bad '$SWVER [$UPGST] [$UPGERR]'
  sip88xx.11-3-1MPP-123 [1] [sha256 mismatch]
  $ status bad
  SWVER                sip88xx.11-3-1MPP-123
  upgrade_check        failed: sha256 mismatch
  upgrade_st           1
  upgrade_last_url     http://127.0.0.1:$H/fw/sip88xx.12-0-2MPP-1.loads
  upgrade_last_version sip88xx.12-0-2MPP-1
  upgrade_last_result  failure
  upgrade_last_err     sha256 mismatch
  upgrade_last_time    TIME
  upgrade_next_retry   in 3600 s
  $ syslog 000e08000002
  CP-8841-3PCC 00:0e:08:00:00:02 -- Requesting upgrade http://127.0.0.1:$H/fw/sip88xx.12-0-2MPP-1.loads
  CP-8841-3PCC 00:0e:08:00:00:02 -- Upgrade failed: sha256 mismatch

The same rule and URL are not attempted again by the next resync (only
by the retry timer of a running agent, after Upgrade_Error_Retry_Delay):

  $ resync --state bad "http://127.0.0.1:$H/bad.xml" | tail -1
  resync: ok
  $ status bad | grep -E 'upgrade_check|SWVER'
  SWVER                sip88xx.11-3-1MPP-123
  upgrade_check        sip88xx.12-0-2MPP-1: already attempted
  $ gets /fw/sip88xx.12-0-2MPP-1.loads
  1

Downgrade_Rev_Limit, Upgrade_Enable: refused before any download
-----------------------------------------------------------------

  $ prov phone init --state old --mac 00:0e:08:00:00:03 --swver sip88xx.12-0-1MPP-1
  $ prov phone set --state old Downgrade_Rev_Limit=sip88xx.11-5-0MPP-0 "Upgrade_Rule=http://127.0.0.1:$H/fw/sip88xx.11-3-1MPP-123.loads"
  $ resync --state old "http://127.0.0.1:$H/nothing.xml" > /dev/null
  [1]
  $ status old | grep upgrade_check
  upgrade_check        sip88xx.11-3-1MPP-123: image below Downgrade_Rev_Limit
  $ prov phone set --state old Upgrade_Enable=No "Upgrade_Rule=http://127.0.0.1:$H/fw/sip88xx.12-1-1MPP-1.loads"
  $ resync --state old "http://127.0.0.1:$H/nothing.xml" > /dev/null
  [1]
  $ status old | grep upgrade_check
  upgrade_check        sip88xx.12-1-1MPP-1: upgrades disabled (Upgrade_Enable = No)
  $ gets /fw/sip88xx.11-3-1MPP-123.loads; gets /fw/sip88xx.12-1-1MPP-1.loads
  0
  0

Trans_Auth_Rule with Trans_Auth_Type = Classic (D-UPG-3)
--------------------------------------------------------

The license file is fetched and kept in the state directory; a missing one
is a failure, retried after Transition_Authorization_Error_Retry_Delay by
a running agent:

  $ profile lic.xml Trans_Auth_Type=Classic "Trans_Auth_Rule=http://127.0.0.1:$H/lic/E2312.lic"
  $ prov phone init --state lic --mac 00:0e:08:00:00:04
  $ resync --state lic "http://127.0.0.1:$H/lic.xml" | tail -1
  resync: ok
  $ cmp lic/license.lic $R/lic/E2312.lic && stat -c %a lic/license.lic
  600
  $ status lic
  SWVER                sip88xx.11-3-1MPP-123
  license_url          http://127.0.0.1:$H/lic/E2312.lic
  license_result       installed
  license_err          
  license_bytes        22
  $ resync --state lic "http://127.0.0.1:$H/lic.xml" | tail -1
  resync: ok
  $ gets /lic/E2312.lic
  1
  $ prov phone set --state lic "Trans_Auth_Rule=http://127.0.0.1:$H/lic/none.lic"
  $ resync --state lic "http://127.0.0.1:$H/nothing.xml" | tail -1
  resync failed: http file not found
  $ status lic | grep license_
  license_url          http://127.0.0.1:$H/lic/none.lic
  license_result       failure
  license_err          http file not found
  license_bytes        0

The agent: reboot after the upgrade, resync after it, /admin/upgrade
--------------------------------------------------------------------

`prov phone run` on an accelerated clock: the power-up resync installs
the image, the engine reboots (a new one boots), and with
Resync_After_Upgrade_Attempt = Yes it resyncs at once, which finds the
rule's condition false. This profile upgrades older phones only (`lt`
compares versions field by field, D-CND-2), so that a newer image
installed by hand below is not undone by the next resync:

  $ profile ag.xml "Upgrade_Rule=( \$SWVER lt sip88xx.12-0-1MPP-1 )? http://127.0.0.1:$H/fw/sip88xx.12-0-1MPP-1.loads"
  $ prov phone init --state ag --mac 00:0e:08:00:00:05 --swver sip88xx.11-3-1MPP-123
  $ prov phone set --state ag Resync_Random_Delay=0 "Profile_Rule=http://127.0.0.1:$H/ag.xml" 'Admin_Password=pa ss'
  $ prov phone run --state ag --time-scale 100 --admin 127.0.0.1:0 > ag.out 2> ag.err & agent=$!
  $ waitfor() { local i; for i in $(seq 200); do [ "$(grep -c "$1" ag.err)" -ge "$2" ] && return; sleep 0.05; done; echo "timeout: $1"; cat ag.err; }
  $ waitfor 'resync: ok' 2
  $ grep -v 'admin web' ag.err | clean
  prov: phone run: ag booting (accelerated clock)
  prov: phone run: next: power-up resync in 0 s
  rule A: http://127.0.0.1:$H/ag.xml: ok, N bytes, 2 changed
  resync: ok
  upgrade: installed sip88xx.12-0-1MPP-1, rebooting
  prov: phone run: rebooting
  rule A: http://127.0.0.1:$H/ag.xml: ok, N bytes, 0 changed
  resync: ok
  $ prov phone status --state ag | grep -E '^(SWVER|reboot_reasons)' | clean
  SWVER                sip88xx.12-0-1MPP-1
  reboot_reasons       TIME Upgrade

/admin/upgrade?URL, behind the admin's password like /admin/resync
(D-TRG-1): without it 401; an image that is the running version is
refused (409); a new one is downloaded, installed, and the agent reboots:

  $ PORT=$(sed -n 's/.*admin web on port //p' ag.err)
  $ U=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "http://127.0.0.1:$H/fw/sip88xx.12-1-1MPP-1.loads")
  $ curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT/admin/upgrade?$U"
  401
  $ curl -s --digest -u 'admin:pa ss' -w ' %{http_code}\n' "http://127.0.0.1:$PORT/admin/upgrade?http%3A%2F%2F127.0.0.1%3A$H%2Ffw%2Fsip88xx.12-0-1MPP-1.loads"
  No upgrade: sip88xx.12-0-1MPP-1: image is the running version
   409
  $ curl -s --digest -u 'admin:pa ss' -w ' %{http_code}\n' "http://127.0.0.1:$PORT/admin/upgrade?$U" | clean
  Upgrade started: http://127.0.0.1:$H/fw/sip88xx.12-1-1MPP-1.loads
   200
  $ waitfor 'resync: ok' 3
  $ grep -E '^upgrade:|rebooting' ag.err
  upgrade: installed sip88xx.12-0-1MPP-1, rebooting
  prov: phone run: rebooting
  upgrade: installed sip88xx.12-1-1MPP-1, rebooting
  prov: phone run: rebooting
  $ kill -TERM $agent; wait $agent; echo "exit $?"
  exit 0
  $ prov expand --state ag '$SWVER $VERSION'
  sip88xx.12-1-1MPP-1 Cisco-CP-8841-3PCC/12.1.1
  $ prov phone status --state ag | grep -A1 '^reboot_reasons' | clean
  reboot_reasons       TIME Upgrade
                       TIME Upgrade

Busy lines defer an upgrade; a failed one is retried (D-UPG-1)
---------------------------------------------------------------

A line is in a call. With Forced_Resync_Delay = 0 the resync does not wait
for it, but the upgrade does: it is deferred, nothing is downloaded. Once
the line is idle the image is fetched; it fails verification, and the
retry timer tries it again after Upgrade_Error_Retry_Delay ($UPGST 2):

  $ profile rt.xml "Upgrade_Rule=http://127.0.0.1:$H/fw/sip88xx.12-0-2MPP-1.loads" Upgrade_Error_Retry_Delay=30
  $ prov phone init --state rt --mac 00:0e:08:00:00:06
  $ prov phone set --state rt Resync_Random_Delay=0 Forced_Resync_Delay=0 "Profile_Rule=http://127.0.0.1:$H/rt.xml"
  $ prov phone line --state rt 1 busy
  $ prov phone run --state rt --time-scale 100 > rt.out 2> rt.err & rtpid=$!
  $ until_status() { local i; for i in $(seq 200); do status rt | tr '\n' ' ' | grep -q "$1" && return; sleep 0.05; done; echo "timeout: $1"; status rt; }
  $ until_status 'upgrade_check .*deferred'
  $ status rt
  SWVER                sip88xx.11-3-1MPP-123
  upgrade_check        sip88xx.12-0-2MPP-1: deferred: a line is in a call
  $ gets /fw/sip88xx.12-0-2MPP-1.loads
  1
  $ prov phone line --state rt 1 idle
  $ until_status 'upgrade_st *2 .*upgrade_last_result *failure'
  $ kill -TERM $rtpid; wait $rtpid; echo "exit $?"
  exit 0
  $ status rt | grep -E 'SWVER|upgrade_(st|last_err)'
  SWVER                sip88xx.11-3-1MPP-123
  upgrade_st           2
  upgrade_last_err     sha256 mismatch
  $ [ "$(gets /fw/sip88xx.12-0-2MPP-1.loads)" -ge 3 ] && echo retried
  retried
