prov expand and prov eval against a device (D-MAC-1..2, D-CND-1..3).

  $ prov phone init --state p --mac 000e08012345 --product CP-7841-3PCC --swver sip78xx.11-3-1MPP-123
  $ prov phone set --state p GPP_B=Dj6Lmp23Q GPP_SA=secret User_ID_1_=1001
  $ prov expand --state p 'tftp://prov.telco.com/cisco/$B/$MA.cfg'
  tftp://prov.telco.com/cisco/Dj6Lmp23Q/000e08012345.cfg
  $ prov expand --state p 'tftp://192.168.1.200/CP-7841-3PCC$MA.cfg'
  tftp://192.168.1.200/CP-7841-3PCC000e08012345.cfg
  $ prov expand --state p '$PN $PSN $MAU $(MA:6) $(MA:0:6) $$ $UID1 $SA $NOPE'
  CP-7841-3PCC 7841 000E08012345 012345 000e08 $ 1001 $SA $NOPE
  $ prov expand --state p '$VERSION ($MA)'
  Cisco-CP-7841-3PCC/11.3.1 (000e08012345)
  $ prov expand --state p 'x$(MA'
  prov: text:1:2: * (glob)
  [2]
  $ prov expand --state p
  prov: expand: expected exactly one TEXT argument (see 'prov expand --help')
  [2]
  $ prov expand 'x'
  prov: expand: --state DIR is required (see 'prov expand --help')
  [2]

  $ prov eval --state p '$SWVER lt sip78xx.11-3-2MPP-1'
  true
  $ prov eval --state p '$SWVER eq "sip78xx.11-3-1MPP-123" and $PSN = 7841'
  true
  $ prov eval --state p '$B ne "Dj6Lmp23Q"'
  false
  $ prov eval --state p '$PSN gtx 1'
  prov: condition:1:6: unknown operator 'gtx'
  [2]
  $ prov eval --state p ''
  prov: condition:* (glob)
  [2]
  $ prov eval --state nowhere '1 eq 1'
  prov: eval: nowhere: no device here (create one with `prov phone init`)
  [2]
