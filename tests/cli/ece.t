RFC 8188 aes128gcm content encoding (device.md D-ENC-6; reliability.md
R-INTEGRITY), against an independent implementation:
tests/integration/ece_ref.py, an encoder, a decoder and a small HTTP server
written from the RFC on python3-cryptography, sharing no code with prov.

  $ . "$TESTDIR_SRC/../integration/servers.sh"
  $ prov_servers_init
  $ REF="$TESTDIR_SRC/../integration/ece_ref.py"
  $ ref() { python3 "$REF" "$@"; }

The reference agrees with the examples of RFC 8188 s. 3.1 and 3.2 (the
same vectors are checked against prov's code in tests/unit/test_ece.c):

  $ b64u() { basenc --base64url -w0 | tr -d =; echo; }
  $ printf 'I am the walrus' | ref encode b64u:yqdlZ-tYemfogSmv7Ws5PQ --salt I1BsxtFttlv3u_Oo94xnmw | b64u
  I1BsxtFttlv3u_Oo94xnmwAAEAAA-NAVub2qFgBEuQKRapoZu-IxkIva3MEB1PD-ly8Thjg
  $ printf 'I am the walrus' | ref encode b64u:BO3ZVPxUlnLORbVGMpbT1Q --salt uNCkWiNYzKTnBN9ji3-qWA --keyid a1 --rs 25 --pad 1 | b64u
  uNCkWiNYzKTnBN9ji3-qWAAAABkCYTHOG8chz_gnvgOqdGYovxyjuqRyJFjEDyoF1Fvkj6hQPdPHI51OEUKEpgz3SsLWIqS_uA

prov pack --aes128gcm and prov unpack --ikm
-------------------------------------------

Interop both ways with the reference, gzip inside or not, several records
or one, with a key id or without:

  $ printf '<flat-profile>\n  <GPP_A>12345678</GPP_A>\n  <GPP_B>packed with aes128gcm</GPP_B>\n</flat-profile>\n' > p.xml
  $ prov pack --aes128gcm 'IKM of phone 7' --keyid key-7 --rs 40 p.xml -o p.gcm
  $ ref decode 'IKM of phone 7' < p.gcm | cmp - p.xml
  $ prov pack --gzip --aes128gcm 'IKM of phone 7' p.xml | ref decode 'IKM of phone 7' | gunzip | cmp - p.xml
  $ ref encode 'IKM of phone 7' --keyid key-7 --rs 18 --pad 5 < p.xml | prov unpack -v --ikm 'IKM of phone 7' - | cmp - p.xml
  prov: unpack: -: decrypted (aes128gcm)
  $ gzip -c p.xml | ref encode 'IKM of phone 7' | prov unpack -v --ikm 'IKM of phone 7' - | cmp - p.xml
  prov: unpack: -: decrypted (aes128gcm), decompressed

The header as written: salt (16 octets), rs, the key id's length, the key id:

  $ od -An -tu1 -j16 -N9 p.gcm | tr -s ' '
   0 0 0 40 5 107 101 121 45
  $ prov pack --aes128gcm k p.xml | od -An -tu1 -j16 -N5 | tr -s ' '
   0 0 16 0 0

Each pack has a fresh salt; unpack refuses another IKM, another expected
key id, any altered byte and a cut stream, and writes nothing then:

  $ prov pack --aes128gcm k p.xml | cmp -s - p.gcm; prov pack --aes128gcm k p.xml | head -c 16 > s1; prov pack --aes128gcm k p.xml | head -c 16 | cmp -s - s1
  [1]
  $ prov unpack --ikm 'IKM of phone 8' p.gcm -o out
  prov: unpack: p.gcm: aes128gcm: record 0 does not authenticate (wrong key, or altered, reordered or truncated data)
  [1]
  $ test -e out
  [1]
  $ prov unpack --ikm 'IKM of phone 7' --keyid key-7 p.gcm | cmp - p.xml
  $ prov unpack --ikm 'IKM of phone 7' --keyid key-8 p.gcm
  prov: unpack: p.gcm: aes128gcm: not the expected key id
  [1]
  $ python3 -c 'import sys; b = bytearray(open("p.gcm", "rb").read()); b[100] ^= 0x80; sys.stdout.buffer.write(b)' | prov unpack --ikm 'IKM of phone 7' -
  prov: unpack: -: aes128gcm: record 1 does not authenticate (wrong key, or altered, reordered or truncated data)
  [1]
  $ head -c $((26 + 2 * 40)) p.gcm | prov unpack --ikm 'IKM of phone 7' -
  prov: unpack: -: aes128gcm: truncated: record 1 is the last but lacks the final delimiter
  [1]

Without --ikm, aes128gcm content is not recognised (it has no magic), and
what cannot be packed or unpacked is refused before anything is read:

  $ prov unpack p.gcm | cmp -s - p.gcm
  $ prov pack --aes128gcm k --key k p.xml
  prov: pack: --aes128gcm and --key are two encryptions: give one (see 'prov pack --help')
  [2]
  $ prov pack --keyid 7 p.xml
  prov: pack: --keyid and --rs need --aes128gcm (see 'prov pack --help')
  [2]
  $ prov pack --aes128gcm k --rs 17 p.xml
  prov: pack: --rs takes 18..4294967295, not '17' (see 'prov pack --help')
  [2]
  $ prov pack --aes128gcm k --rs 4294967296 p.xml
  prov: pack: --rs takes 18..4294967295, not '4294967296' (see 'prov pack --help')
  [2]
  $ prov pack --aes128gcm '' p.xml
  prov: pack: --aes128gcm needs a non-empty IKM (see 'prov pack --help')
  [2]
  $ prov pack --aes128gcm k --keyid "$(printf '%0256d' 0)" p.xml
  prov: pack: --keyid takes at most 255 bytes (see 'prov pack --help')
  [2]
  $ prov unpack --ikm k --key k p.gcm
  prov: unpack: --ikm (aes128gcm) and --key (AES-256-CBC): give one (see 'prov unpack --help')
  [2]
  $ prov unpack --keyid 7 p.gcm
  prov: unpack: --keyid needs --ikm (see 'prov unpack --help')
  [2]

The device: prov phone resync over HTTP
----------------------------------------

The server sends the files named *.ece with `Content-Encoding: aes128gcm`.
The phone holds the input keying material in IKM_HTTP_Encrypt_Content, its
text used as written (docs/ARCHITECTURE.md, "Content encoding"):

  $ mkdir www
  $ _prov_spawn srv.log python3 "$REF" serve "$PWD/port" "$PWD/www"
  $ for i in $(seq 100); do [ -s port ] && break; sleep 0.05; done; PORT=$(cat port)
  $ U=http://127.0.0.1:$PORT
  $ prov phone init --state ph --mac 00:0e:08:00:18:88
  $ prov phone set --state ph 'IKM_HTTP_Encrypt_Content=Device 88 key'
  $ prov phone set --state ph GPP_A=sentinel
  $ resync() { prov phone resync --state ph "$@" 2>&1 | sed "s/:$PORT/:\$PORT/g"; return "${PIPESTATUS[0]}"; }
  $ get() { prov phone get --state ph GPP_A; }

A profile the reference encodes, in records of 30 octets with a key id, and
one gzipped first (compression before encryption, D-ENC-1):

  $ printf '<flat-profile>\n  <GPP_A>from aes128gcm</GPP_A>\n</flat-profile>\n' > p.xml
  $ ref encode 'Device 88 key' --keyid 7 --rs 30 --salt AAAAAAAAAAAAAAAAAAAAAA < p.xml > www/p.ece
  $ resync "$U/p.ece"
  rule X: http://127.0.0.1:$PORT/p.ece: ok, 170 bytes, 1 changed
  resync: ok
  $ get
  GPP_A=from aes128gcm
  $ printf '<flat-profile><GPP_A>gzip inside</GPP_A></flat-profile>\n' | gzip -c | ref encode 'Device 88 key' > www/gz.ece
  $ resync "$U/gz.ece" | tail -1
  resync: ok
  $ get
  GPP_A=gzip inside

The header decides, not the bytes: the same file without it is not a
profile, and a rule's --key (AES-256-CBC) is not used for it:

  $ cp www/p.ece www/p.bin
  $ resync "$U/p.bin" | tail -1
  resync failed: bad profile at line [0-9]+ col [0-9]+ (re)
  $ resync "[--key OtherSecret] $U/p.ece" | tail -1
  resync: ok

Faults: each fails the resync with its own reason after "decrypt failed:",
and nothing is applied (GPP_A keeps its sentinel):

  $ prov phone set --state ph GPP_A=sentinel
  $ fault() { resync "$U/$1" | tail -1; get; }
  $ printf '<flat-profile><GPP_A>BAD</GPP_A></flat-profile>\n' > bad.xml
  $ ref encode 'Device 88 key' --rs 20 < bad.xml > good.ece
  $ cp good.ece www/good.ece
  $ fault good.ece
  resync: ok
  GPP_A=BAD
  $ prov phone set --state ph GPP_A=sentinel
  $ flip() { python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[2])] ^= 1; sys.stdout.buffer.write(b)' good.ece "$1"; }
  $ flip 40 > www/tampered.ece
  $ fault tampered.ece
  resync failed: decrypt failed: aes128gcm: record 0 does not authenticate (wrong key, or altered, reordered or truncated data)
  GPP_A=sentinel
  $ flip 3 > www/salt.ece
  $ fault salt.ece
  resync failed: decrypt failed: aes128gcm: record 0 does not authenticate (wrong key, or altered, reordered or truncated data)
  GPP_A=sentinel
  $ flip 19 > www/rs.ece
  $ fault rs.ece
  resync failed: decrypt failed: aes128gcm: record 0 does not authenticate (wrong key, or altered, reordered or truncated data)
  GPP_A=sentinel
  $ head -c $((21 + 20 * 2)) good.ece > www/cut.ece
  $ fault cut.ece
  resync failed: decrypt failed: aes128gcm: truncated: record 1 is the last but lacks the final delimiter
  GPP_A=sentinel
  $ head -c 15 good.ece > www/short.ece
  $ fault short.ece
  resync failed: decrypt failed: aes128gcm: truncated header (15 of 21 octets)
  GPP_A=sentinel
  $ ref encode 'Device 99 key' < bad.xml > www/other.ece
  $ fault other.ece
  resync failed: decrypt failed: aes128gcm: record 0 does not authenticate (wrong key, or altered, reordered or truncated data)
  GPP_A=sentinel

Every octet of a stream flipped, and every truncation, through the whole
device path (R-INTEGRITY; tests/unit/test_ece.c does the same, three flips
an octet, on the decoder alone):

  $ printf '<flat-profile><GPP_A>M</GPP_A></flat-profile>' | ref encode 'Device 88 key' --rs 40 > m.src
  $ n=$(wc -c < m.src); echo $n
  100
  $ for i in $(seq 0 $((n - 1))); do python3 -c 'import sys; b = bytearray(open("m.src", "rb").read()); b[int(sys.argv[1])] ^= 0x10; sys.stdout.buffer.write(b)' $i > www/m.ece; resync "$U/m.ece" | tail -1; done | sed -E 's/record [0-9]+ /record N /' | sort | uniq -c | sed 's/^ *//'
  100 resync failed: decrypt failed: aes128gcm: record N does not authenticate (wrong key, or altered, reordered or truncated data)
  $ for i in $(seq 0 $((n - 1))); do head -c $i m.src > www/m.ece; resync "$U/m.ece" | tail -1; done | grep -c '^resync failed: decrypt failed: aes128gcm: '
  100
  $ get
  GPP_A=sentinel
  $ cp m.src www/m.ece && resync "$U/m.ece" | tail -1 && get
  resync: ok
  GPP_A=M
  $ prov phone set --state ph GPP_A=sentinel

The Content-Encoding header as sent: several headers make one list, whose
last coding is the one applied last (RFC 9110 s. 8.4); aes128gcm is undone
only when it is that one, and gzip inside it then by content. A list with
aes128gcm elsewhere, or too long to keep, is refused rather than guessed:

  $ ref encode 'Device 88 key' --salt AAAAAAAAAAAAAAAAAAAAAA < bad.xml > www/plain.ece
  $ printf 'gzip\n AES128GCM \n' > www/gz.ece.ce
  $ fault gz.ece
  resync: ok
  GPP_A=gzip inside
  $ prov phone set --state ph GPP_A=sentinel
  $ printf 'aes128gcm, gzip\n' > www/plain.ece.ce
  $ fault plain.ece
  resync failed: decrypt failed: unsupported Content-Encoding "aes128gcm, gzip"
  GPP_A=sentinel
  $ printf 'identity\n%070d\n' 0 > www/plain.ece.ce
  $ fault plain.ece
  resync failed: decrypt failed: unsupported Content-Encoding "(too long)"
  GPP_A=sentinel
  $ printf 'identity\n' > www/plain.ece.ce
  $ fault plain.ece
  resync failed: bad profile at line [0-9]+ col [0-9]+ (re)
  GPP_A=sentinel

No IKM on the device:

  $ prov phone set --state ph IKM_HTTP_Encrypt_Content=
  $ fault good.ece
  resync failed: decrypt failed: aes128gcm content, and no input keying material
  GPP_A=sentinel

The IKM is a secret (D-PAR-5): shown masked, and neither in the status
nor in the server's log of all the requests above (the resync messages are
all in this transcript):

  $ prov phone set --state ph 'IKM_HTTP_Encrypt_Content=Device 88 key'
  $ prov phone get --state ph IKM_HTTP_Encrypt_Content
  IKM_HTTP_Encrypt_Content=********
  $ { prov phone status --state ph; prov phone get --state ph; cat srv.log; } | grep -c 'Device 88 key'
  0
  [1]
