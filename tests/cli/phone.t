prov phone init / get / set / apply / unknown: the device's state directory.
Spec: interfaces.md (device side), device.md D-PAR-1..5, D-PRO-4, D-PER-1.

Init creates a device, quietly:

  $ prov phone init --state phone --mac 00:0e:08:AB:CD:EF --serial 88012BA01234
  $ ls phone
  state.db
  $ prov phone get --state phone GPP_A Profile_Rule Resync_Periodic Resync_Error_Retry_Delay
  GPP_A=
  Profile_Rule=/$PSN.xml
  Resync_Periodic=3600
  Resync_Error_Retry_Delay=60,120,240,480,960,1920,3840,7680,15360,30720,61440,86400

A second init on the same directory fails and changes nothing:

  $ prov phone init --state phone --mac 00:0e:08:00:00:01
  prov: phone init: phone: a device already exists here
  [1]
  $ prov expand --state phone '$MA'
  000e08abcdef

Bad identities and usage:

  $ prov phone init --state p2 --mac 00:0e:08:ab:cd
  prov: phone init: bad MAC address '00:0e:08:ab:cd' (want 12 hex digits)
  [2]
  $ prov phone init --state p2
  prov: phone init: --mac MAC is required (see 'prov phone init --help')
  [2]
  $ prov phone init --mac 000e08abcdef
  prov: phone init: --state DIR is required (see 'prov phone init --help')
  [2]
  $ prov phone init --state p2 --mac 000e08abcdef --cert x.pem
  prov: phone init: --cert and --certkey go together (see 'prov phone init --help')
  [2]
  $ prov phone init --state p2 --mac 000e08abcdef --bogus
  prov: phone init: unknown option '--bogus' (see 'prov phone init --help')
  [2]
  $ prov phone init --state p2 --mac 000e08abcdef extra
  prov: phone init: unexpected argument 'extra' (see 'prov phone init --help')
  [2]
  $ test -e p2
  [1]

Certificates are checked before anything is created:

  $ echo 'not a certificate' > junk.pem
  $ prov phone init --state p3 --mac 000e08abcdef --ca junk.pem
  prov: phone init: junk.pem: ca: not a PEM certificate
  [2]
  $ test -e p3
  [1]
  $ openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem -days 2 -subj '/OU=CP-8841-3PCC/L=88012BA01234/ST=000e08abcdef' 2>/dev/null
  $ openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.pem -out othercert.pem -days 2 -subj '/CN=other' 2>/dev/null
  $ prov phone init --state p3 --mac 000e08abcdef --cert cert.pem --certkey other.pem
  prov: phone init: other.pem: certkey: the key does not match the certificate
  [2]
  $ prov phone init --state p3 --mac 000e08abcdef --cert cert.pem --certkey key.pem --ca othercert.pem
  $ ls p3
  ca.pem
  cert.pem
  certkey.pem
  state.db
  $ stat -c %a p3/certkey.pem
  600
  $ prov expand --state p3 '$CCERT / $CCERT'
  Installed / Installed
  $ prov expand --state phone '$CCERT'
  Not Installed

Set validates and normalises (D-PAR-2, D-PAR-3); all or nothing:

  $ prov phone set --state phone GPP_A=12345678 Resync_On_Reset=no 'Profile_Rule=tftp://192.168.1.200/CP-8841-3PCC$MA.cfg'
  $ prov phone get --state phone GPP_A Resync_On_Reset Profile_Rule
  GPP_A=12345678
  Resync_On_Reset=No
  Profile_Rule=tftp://192.168.1.200/CP-8841-3PCC$MA.cfg
  $ prov phone set --state phone GPP_A=changed Resync_Random_Delay=70000
  prov: phone set: Resync_Random_Delay: invalid value '70000': out of range 0..65535
  [2]
  $ prov phone get --state phone GPP_A
  GPP_A=12345678
  $ prov phone set --state phone No_Such_Param=1
  prov: phone set: unknown parameter 'No_Such_Param'
  [2]
  $ prov phone set --state phone GPP_A
  prov: phone set: expected NAME=VALUE, got 'GPP_A' (see 'prov phone set --help')
  [2]
  $ prov phone set --state phone
  prov: phone set: no NAME=VALUE given (see 'prov phone set --help')
  [2]
  $ prov phone get --state phone Nope
  prov: phone get: unknown parameter 'Nope'
  [2]

Secrets never print (D-PAR-5):

  $ prov phone set --state phone Password_1_=hunter2 GPP_SA=k3y Admin_Password=
  $ prov phone get --state phone Password_1_ GPP_SA Admin_Password
  Password_1_=********
  GPP_SA=********
  Admin_Password=
  $ prov phone get --state phone | grep -c hunter2
  0
  [1]
  $ prov phone get --state phone | wc -l
  2722

The user's view honours ua (D-PAR-1):

  $ prov phone set --state phone --user GPP_A=x
  prov: phone set: GPP_A: the user may not change it
  [2]
  $ prov phone set --state phone --user Display_Name_1_=Alice
  $ prov phone get --state phone --user
  Display_Name_1_=Alice
  Display_Name_2_=
  Display_Name_3_=
  Display_Name_4_=
  Display_Name_5_=
  Display_Name_6_=
  Display_Name_7_=
  Display_Name_8_=
  Display_Name_9_=
  Display_Name_10_=

Apply, as a resync applies fetched profiles (D-PRO-4, D-PAR-3, D-PAR-4):

  $ cat > a.xml <<'X'
  > <flat-profile>
  >   <GPP_A> 12345678
  >   </GPP_A>
  >   <GPP_B ua="rw">ABCD</GPP_B>
  >   <Resync_Periodc>30</Resync_Periodc>
  >   <Resync_On_Reset>perhaps</Resync_On_Reset>
  > </flat-profile>
  > X
  $ cat > b.txt <<'X'
  > # legacy text format
  > GPP_B ! "from B" ;
  > GPP_C "c" ;
  > X
  $ prov phone apply --state phone a.xml b.txt
  prov: a.xml:5:3: unknown parameter 'Resync_Periodc' (did you mean 'Resync_Periodic'?)
  prov: a.xml:6:3: rejected: Resync_On_Reset: invalid value 'perhaps': expected Yes or No
  a.xml: 1 changed, 1 unchanged, 1 rejected, 1 unknown
  b.txt: 2 changed, 0 unchanged, 0 rejected, 0 unknown
  $ prov phone get --state phone GPP_A GPP_B GPP_C Resync_On_Reset
  GPP_A=12345678
  GPP_B=from B
  GPP_C=c
  Resync_On_Reset=No
  $ prov phone unknown --state phone
  Resync_Periodc

A malformed profile changes nothing and stops the sequence (D-PRO-5):

  $ printf '<flat-profile>\n<GPP_A>new</GPP_A>\n<GPP_B>x</GPP_C>\n</flat-profile>\n' > bad.xml
  $ prov phone apply --state phone bad.xml b.txt
  prov: bad.xml:3:11: mismatched tag
  [2]
  $ prov phone get --state phone GPP_A
  GPP_A=12345678
  $ prov phone apply --state phone missing.xml
  prov: missing.xml: No such file or directory
  [2]

An empty file is an error, not "0 changed":

  $ : > empty.xml
  $ prov phone apply --state phone empty.xml
  prov: empty.xml: empty profile
  [2]

A profile for a bigger model names lines and keys this one lacks (this
CP-8841 has 10 lines and no key expansion module): they are unknown here,
the first few are shown, -v shows all:

  $ { echo '<flat-profile>'; for i in $(seq 9 16); do echo "<User_ID_${i}_>u$i</User_ID_${i}_>"; done
  >   echo '<Unit_1_Key_1_ ua="na"/></flat-profile>'; } > big.xml
  $ prov phone apply --state phone big.xml
  prov: big.xml:4:1: unknown parameter 'User_ID_11_' (not on a CP-8841-3PCC)
  prov: big.xml:5:1: unknown parameter 'User_ID_12_' (not on a CP-8841-3PCC)
  prov: big.xml:6:1: unknown parameter 'User_ID_13_' (not on a CP-8841-3PCC)
  prov: big.xml:7:1: unknown parameter 'User_ID_14_' (not on a CP-8841-3PCC)
  prov: big.xml:8:1: unknown parameter 'User_ID_15_' (not on a CP-8841-3PCC)
  prov: big.xml: 2 more unknown names not shown (-v shows all)
  big.xml: 2 changed, 0 unchanged, 0 rejected, 7 unknown
  $ prov phone apply --state phone -v big.xml 2>&1 | grep -c unknown
  8
  $ prov phone get --state phone User_ID_10_ User_ID_11_
  User_ID_10_=u10
  prov: phone get: unknown parameter 'User_ID_11_'
  [2]

No device:

  $ prov phone get --state nowhere GPP_A
  prov: phone get: nowhere: no device here (create one with `prov phone init`)
  [2]
  $ prov phone frobnicate --state phone
  prov: phone: unknown command 'frobnicate' (see 'prov phone --help')
  [2]
