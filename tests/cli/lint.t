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
  prov: findings.xml:2:3: unknown parameter 'GPP_Z'
  prov: findings.xml:3:3: Resync_Random_Delay: invalid value '-5': out of range 0..65535
  prov: findings.xml:4:3: Resync_At__HHmm_: invalid value '2500': expected HHmm between 0000 and 2400
  [2]
  $ prov lint --quiet-unknown findings.xml 2>&1 | wc -l
  2

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
