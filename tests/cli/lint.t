prov lint: well-formed, known names, valid values (D-PRO-*, D-PAR-3, D-PAR-4).

  $ cat > good.xml <<'X'
  > <?xml version="1.0"?>
  > <device><flat-profile>
  >   <GPP_A ua="na">12345678</GPP_A>
  >   <Profile_Rule>[--key "My Secret"] tftp://192.168.1.200/basic.cfg</Profile_Rule>
  >   <Resync_Trigger_1>$UPGTMR gt 300 and $PRVTMR ge 600</Resync_Trigger_1>
  >   <Privacy_Header_3_>session</Privacy_Header_3_>
  > </flat-profile></device>
  > X
  $ prov lint good.xml

  $ cat > findings.xml <<'X'
  > <flat-profile>
  >   <GPP_Z>1</GPP_Z>
  >   <Resync_Random_Delay>-5</Resync_Random_Delay>
  >   <Resync_At__HHmm_>2500</Resync_At__HHmm_>
  > </flat-profile>
  > X
  $ prov lint findings.xml
  prov: findings.xml:2:3: unknown parameter 'GPP_Z' (did you mean 'GPP_A'?)
  prov: findings.xml:3:3: Resync_Random_Delay: invalid value '-5': out of range 0..65535
  prov: findings.xml:4:3: Resync_At__HHmm_: invalid value '2500': expected HHmm between 0000 and 2400
  [2]
  $ prov lint --quiet-unknown findings.xml 2>&1 | wc -l
  2

Every real MPP/SPA parameter is known (the catalogue, docs/CATALOGUE.md),
SPA-era names included; a near miss is a typo with a suggestion, and a
catalogue parameter's value is checked against its type, range or choices:

  $ cat > real.xml <<'X'
  > <flat-profile>
  >   <Enable_Web_Server ua="na">Yes</Enable_Web_Server>
  >   <SIP_Port_16_>5060</SIP_Port_16_>
  >   <Unit_3_Key_40_ ua="na"/>
  >   <Admin_Passwd>secret</Admin_Passwd>
  >   <Resync_Periodc>3600</Resync_Periodc>
  >   <Enable_Web_Server>maybe</Enable_Web_Server>
  >   <SIP_Port_1_>70000</SIP_Port_1_>
  >   <IP_Mode>IPv5 Only</IP_Mode>
  >   <Totally_Unheard_Of_Name>1</Totally_Unheard_Of_Name>
  > </flat-profile>
  > X
  $ prov lint real.xml
  prov: real.xml:6:3: unknown parameter 'Resync_Periodc' (did you mean 'Resync_Periodic'?)
  prov: real.xml:7:3: Enable_Web_Server: invalid value 'maybe': expected Yes or No
  prov: real.xml:8:3: SIP_Port_1_: invalid value '70000': out of range 0..65535
  prov: real.xml:9:3: IP_Mode: invalid value 'IPv5 Only': expected one of: IPv4 Only,IPv6 Only,Dual Mode
  prov: real.xml:10:3: unknown parameter 'Totally_Unheard_Of_Name'
  [2]

An empty file is no profile (a truncated download, a wrong path):

  $ : > empty.xml
  $ prov lint empty.xml
  prov: empty.xml: empty profile
  [2]
  $ printf '\xef\xbb\xbf \n\t\r\n' | prov lint -
  prov: -: empty profile
  [2]

Malformed input names the place:

  $ printf '<flat-profile>\n  <GPP_A>1</GPP_B>\n</flat-profile>\n' > bad.xml
  $ prov lint bad.xml
  prov: bad.xml:2:13: mismatched tag
  [2]
  $ printf 'GPP_A "unterminated ;\n' > bad.txt
  $ prov lint bad.txt 2>&1 | grep -c '^prov: bad.txt:1:'
  1
  $ prov lint good.xml nothere.xml
  prov: nothere.xml: No such file or directory
  [1]
  $ prov lint
  prov: lint: no FILE given (see 'prov lint --help')
  [2]

Entity attacks are refused (D-PRO-7):

  $ cat > lol.xml <<'X'
  > <?xml version="1.0"?>
  > <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
  > <flat-profile><GPP_A>&lol2;</GPP_A></flat-profile>
  > X
  $ prov lint lol.xml 2>&1 | grep -c 'entity'
  1
  $ prov lint - < good.xml
