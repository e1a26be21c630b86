prov pack / prov unpack against the real gzip and openssl, both ways.
Spec: device.md D-ENC-1..5. openssl enc's "deprecated key derivation"
warning goes to stderr, hence 2>/dev/null on every openssl command.

  $ printf '<flat-profile>\n  <GPP_A>12345678</GPP_A>\n  <GPP_B>from a packed file</GPP_B>\n</flat-profile>\n' > p.xml
  $ wc -c < p.xml
  93

Files written by gzip, told apart by content (D-ENC-1, D-ENC-4):

  $ gzip -c p.xml > p.xml.gz
  $ cp p.xml.gz profile.cfg
  $ prov unpack -v profile.cfg | cmp - p.xml
  prov: unpack: profile.cfg: decompressed
  $ gzip -9 < p.xml | prov unpack - | cmp - p.xml
  $ gzip -nc p.xml > n.gz
  $ cat n.gz p.xml.gz > two.gz
  $ prov unpack two.gz | wc -l
  8
  $ prov unpack -v p.xml
  prov: unpack: p.xml: plain, nothing to do
  <flat-profile>
    <GPP_A>12345678</GPP_A>
    <GPP_B>from a packed file</GPP_B>
  </flat-profile>

Files written by openssl enc, both key derivations (D-ENC-2, D-ENC-5); the
OpenSSL 3 default (no -md) is SHA-256:

  $ openssl enc -aes-256-cbc -md md5 -k secret -in p.xml -out p.md5 2>/dev/null
  $ head -c 8 p.md5; echo
  Salted__
  $ prov unpack -v --key secret p.md5 -o out
  prov: unpack: p.md5: decrypted
  $ cmp out p.xml
  $ openssl enc -aes-256-cbc -md sha256 -k secret -in p.xml -out p.sha256 2>/dev/null
  $ prov unpack --key secret p.sha256 | cmp - p.xml
  $ openssl enc -aes-256-cbc -k secret -in p.xml 2>/dev/null | prov unpack --key secret - | cmp - p.xml
  $ openssl enc -aes-256-cbc -md sha256 -pass pass:secret -in p.xml 2>/dev/null | prov unpack --key secret - | cmp - p.xml

gzip, then openssl enc (encrypt-after-compress, D-ENC-1):

  $ gzip -c p.xml | openssl enc -aes-256-cbc -md md5 -k secret -out pz.md5 2>/dev/null
  $ prov unpack -v --key secret pz.md5 | cmp - p.xml
  prov: unpack: pz.md5: decrypted, decompressed
  $ gzip -c p.xml | openssl enc -aes-256-cbc -md sha256 -k secret -out pz.sha256 2>/dev/null
  $ prov unpack --key secret pz.sha256 | cmp - p.xml

Keys with spaces, double quotes, a single quote, leading space, non-ASCII:

  $ for k in 'My Secret Key' 'say "open" sesame' "it's" ' lead' 'caf'$'\xc3\xa9'; do
  >   gzip -c p.xml | openssl enc -aes-256-cbc -md md5 -k "$k" -out k.enc 2>/dev/null
  >   prov unpack --key "$k" k.enc | cmp - p.xml || echo "gzip+md5 [$k] failed"
  >   openssl enc -aes-256-cbc -md sha256 -k "$k" -in p.xml -out k.enc 2>/dev/null
  >   prov unpack --key "$k" k.enc | cmp - p.xml || echo "sha256 [$k] failed"
  >   prov unpack --key "${k}x" k.enc >/dev/null 2>&1 && echo "[${k}x] accepted"
  > done; true

The empty profile, every way:

  $ : > empty
  $ openssl enc -aes-256-cbc -md md5 -k k -in empty -out empty.md5 2>/dev/null
  $ wc -c < empty.md5
  32
  $ prov unpack --key k empty.md5 | wc -c
  0
  $ gzip -c empty | openssl enc -aes-256-cbc -md sha256 -k k -out emptyz.sha256 2>/dev/null
  $ prov unpack -v --key k emptyz.sha256 | wc -c
  prov: unpack: emptyz.sha256: decrypted, decompressed
  0
  $ gzip -c empty | prov unpack - | wc -c
  0
  $ prov pack --gzip --key k empty -o empty.pk
  $ openssl enc -d -aes-256-cbc -md md5 -k k -in empty.pk 2>/dev/null | gunzip | wc -c
  0

A large profile (about 1 MB), both directions:

  $ { echo '<flat-profile>'; seq -f '  <GPP_A>%g</GPP_A>' 1 40000; echo '</flat-profile>'; } > big.xml
  $ wc -c < big.xml
  908925
  $ gzip -c big.xml | openssl enc -aes-256-cbc -md sha256 -k 'big key' -out big.enc 2>/dev/null
  $ prov unpack --key 'big key' big.enc | cmp - big.xml
  $ openssl enc -aes-256-cbc -md md5 -k 'big key' -in big.xml -out big.md5 2>/dev/null
  $ prov unpack --key 'big key' big.md5 | cmp - big.xml
  $ prov pack --gzip --key 'big key' --md sha256 big.xml -o big.pk
  $ openssl enc -d -aes-256-cbc -md sha256 -k 'big key' -in big.pk 2>/dev/null | gunzip | cmp - big.xml
  $ prov pack --key 'big key' big.xml | openssl enc -d -aes-256-cbc -md md5 -k 'big key' 2>/dev/null | cmp - big.xml
  $ prov pack --gzip big.xml | gunzip | cmp - big.xml
  $ prov lint --key 'big key' big.pk

prov pack is read back by openssl enc -d and gunzip, both digests (D-ENC-5):

  $ prov pack --gzip --key 'My "quoted" key' p.xml -o p.pk
  $ head -c 8 p.pk; echo
  Salted__
  $ openssl enc -d -aes-256-cbc -md md5 -k 'My "quoted" key' -in p.pk 2>/dev/null | gunzip | cmp - p.xml
  $ prov pack --gzip --key 'My "quoted" key' --md md5 p.xml | openssl enc -d -aes-256-cbc -md md5 -k 'My "quoted" key' 2>/dev/null | gunzip | cmp - p.xml
  $ prov pack --gzip --key secret --md sha256 p.xml -o p256.pk
  $ openssl enc -d -aes-256-cbc -md sha256 -k secret -in p256.pk 2>/dev/null | gunzip | cmp - p.xml
  $ openssl enc -d -aes-256-cbc -k secret -in p256.pk 2>/dev/null | gunzip | cmp - p.xml
  $ prov pack --key secret p.xml | openssl enc -d -aes-256-cbc -md md5 -k secret 2>/dev/null | cmp - p.xml
  $ prov pack --key secret --md sha256 p.xml | openssl enc -d -aes-256-cbc -md sha256 -k secret 2>/dev/null | cmp - p.xml
  $ prov pack --gzip p.xml -o p.gz
  $ gzip -t p.gz
  $ gunzip -c p.gz | cmp - p.xml
  $ cmp p.gz n.gz
  $ prov pack p.xml | cmp - p.xml
  $ prov pack - < p.xml | cmp - p.xml

Every encryption draws a fresh salt:

  $ prov pack --key k p.xml -o s1; prov pack --key k p.xml -o s2
  $ cmp -s s1 s2 || echo differ
  differ
  $ test "$(head -c 16 s1 | tail -c 8 | od -An -tx1)" != "$(head -c 16 s2 | tail -c 8 | od -An -tx1)"

Failures exit 1 with their own message, and write nothing: -o OUT is not
created, and an existing OUT is left as it was (D-ENC-3, D-ENC-4):

  $ echo precious > OUT
  $ fails() { prov unpack "$@" -o OUT; s=$?; cat OUT; return $s; }
  $ prov unpack p.md5 -o NEW; prov unpack --key x p.md5 -o NEW; prov unpack n.gz.missing -o NEW
  prov: unpack: p.md5: encrypted profile, and no key given (--key)
  prov: unpack: p.md5: decrypt failed: wrong key or corrupt data (bad padding or garbage)
  prov: n.gz.missing: No such file or directory
  [1]
  $ head -c -4 p.xml.gz | prov unpack - -o NEW
  prov: unpack: -: gzip: truncated stream
  [1]
  $ ls NEW .NEW* 2>&1
  ls: cannot access 'NEW': No such file or directory
  ls: cannot access '.NEW*': No such file or directory
  [2]
  $ fails p.md5
  prov: unpack: p.md5: encrypted profile, and no key given (--key)
  precious
  [1]
  $ fails --key Secret p.md5
  prov: unpack: p.md5: decrypt failed: wrong key or corrupt data (bad padding or garbage)
  precious
  [1]
  $ fails --key 'My Secret' pz.sha256
  prov: unpack: pz.sha256: decrypt failed: wrong key or corrupt data (bad padding or garbage)
  precious
  [1]
  $ openssl enc -aes-256-cbc -pbkdf2 -k secret -in p.xml -out pbkdf2.enc 2>/dev/null
  $ fails --key secret pbkdf2.enc
  prov: unpack: pbkdf2.enc: decrypt failed: wrong key or corrupt data (bad padding or garbage)
  precious
  [1]
  $ head -c 12 p.md5 > t12; fails --key secret t12
  prov: unpack: t12: decrypt failed: truncated container (12 bytes, no salt)
  precious
  [1]
  $ head -c 16 p.md5 > t16; fails --key secret t16
  prov: unpack: t16: decrypt failed: truncated container (no ciphertext after the salt)
  precious
  [1]
  $ head -c -1 p.md5 > t-1; fails --key secret t-1
  prov: unpack: t-1: decrypt failed: truncated (95 bytes of ciphertext, not a multiple of 16)
  precious
  [1]
  $ head -c -16 p.md5 > t-16; fails --key secret t-16
  prov: unpack: t-16: decrypt failed: wrong key or corrupt data (bad padding or garbage)
  precious
  [1]
  $ head -c -4 n.gz > tr.gz; fails tr.gz
  prov: unpack: tr.gz: gzip: truncated stream
  precious
  [1]
  $ head -c 5 n.gz > tr5.gz; fails tr5.gz
  prov: unpack: tr5.gz: gzip: truncated stream
  precious
  [1]
  $ cp n.gz bad.gz; printf '\377\377\377' | dd of=bad.gz bs=1 seek=10 conv=notrunc status=none
  $ fails bad.gz
  prov: unpack: bad.gz: gzip: invalid block type
  precious
  [1]
  $ size=$(wc -c < n.gz)
  $ cp n.gz crc.gz; printf '\0\0\0\0' | dd of=crc.gz bs=1 seek=$((size - 8)) conv=notrunc status=none
  $ fails crc.gz
  prov: unpack: crc.gz: gzip: CRC mismatch
  precious
  [1]
  $ cp n.gz len.gz; printf '\0\0\0\0' | dd of=len.gz bs=1 seek=$((size - 4)) conv=notrunc status=none
  $ fails len.gz
  prov: unpack: len.gz: gzip: length mismatch
  precious
  [1]
  $ gunzip -c len.gz > /dev/null 2>&1; echo "gzip says $?"
  gzip says 1
  $ { cat n.gz; printf junk; } > junk.gz; fails junk.gz
  prov: unpack: junk.gz: gzip: 4 bytes of trailing garbage
  precious
  [1]
  $ head -c -4 n.gz | openssl enc -aes-256-cbc -md md5 -k secret -out trz.md5 2>/dev/null
  $ fails --key secret trz.md5
  prov: unpack: trz.md5: gzip: truncated stream
  precious
  [1]
  $ fails missing.gz
  prov: missing.gz: No such file or directory
  precious
  [1]

A decompression bomb stops at the profile size limit (D-ENC-4, D-PRO-7),
alone or inside the AES layer:

  $ head -c 50000000 /dev/zero | gzip -1 > bomb.gz
  $ fails bomb.gz
  prov: unpack: bomb.gz: decompressed profile larger than 4194304 bytes
  precious
  [1]
  $ fails --max 1000 bomb.gz
  prov: unpack: bomb.gz: decompressed profile larger than 1000 bytes
  precious
  [1]
  $ openssl enc -aes-256-cbc -md sha256 -k k -in bomb.gz -out bomb.enc 2>/dev/null
  $ fails --key k bomb.enc
  prov: unpack: bomb.enc: decompressed profile larger than 4194304 bytes
  precious
  [1]

The limit is on the profile, not on the gzip bytes inside the AES layer
(regression: a profile exactly at --max failed when gzipped and encrypted):

  $ printf 'GPP_A 1 ;' > tiny.txt
  $ gzip -c tiny.txt | openssl enc -aes-256-cbc -md md5 -k secret -out tiny.enc 2>/dev/null
  $ wc -c < tiny.enc
  64
  $ prov unpack --max 9 --key secret tiny.enc | cmp - tiny.txt
  $ prov unpack --max 8 --key secret tiny.enc
  prov: unpack: tiny.enc: decompressed profile larger than 8 bytes
  [1]
  $ prov unpack --max 93 --key secret pz.md5 | cmp - p.xml
  $ prov unpack --max 93 --key secret p.md5 | cmp - p.xml
  $ prov unpack --max 92 --key secret pz.md5
  prov: unpack: pz.md5: decompressed profile larger than 92 bytes
  [1]
  $ prov unpack --max 92 --key secret p.md5
  prov: unpack: p.md5: profile larger than 92 bytes
  [1]
  $ prov unpack --max 92 p.xml
  prov: unpack: p.xml: profile larger than 92 bytes
  [1]
  $ prov lint bomb.gz
  prov: bomb.gz: decompressed profile larger than 4194304 bytes
  [2]

Pack failures:

  $ prov pack --gzip p.xml -o nodir/p.gz 2>&1 | sed 's/tmp\.[0-9]*/tmp.PID/'
  prov: pack: nodir/p.gz: No such file or directory
  $ prov pack --gzip p.xml -o nodir/p.gz 2>/dev/null
  [1]
  $ prov pack --gzip missing.xml -o NEW
  prov: missing.xml: No such file or directory
  [1]
  $ test -e NEW
  [1]

Bad usage exits 2:

  $ prov unpack
  prov: unpack: expected exactly one IN file (see 'prov unpack --help')
  [2]
  $ prov unpack p.xml p.gz
  prov: unpack: expected exactly one IN file (see 'prov unpack --help')
  [2]
  $ prov unpack --max 0 p.xml
  prov: unpack: --max takes 1..67108864 bytes (see 'prov unpack --help')
  [2]
  $ prov unpack --max 12k p.xml
  prov: unpack: --max takes 1..67108864 bytes (see 'prov unpack --help')
  [2]
  $ prov unpack --max 67108865 p.xml
  prov: unpack: --max takes 1..67108864 bytes (see 'prov unpack --help')
  [2]
  $ prov unpack --bogus p.xml
  prov: unpack: unknown option '--bogus' (see 'prov unpack --help')
  [2]
  $ prov unpack --key
  prov: unpack: unknown option '--key' (see 'prov unpack --help')
  [2]
  $ prov pack
  prov: pack: expected exactly one IN file (see 'prov pack --help')
  [2]
  $ prov pack --md sha256 p.xml
  prov: pack: --md needs --key (see 'prov pack --help')
  [2]
  $ prov pack --key k --md sha1 p.xml
  prov: pack: --md takes md5 or sha256, not 'sha1' (see 'prov pack --help')
  [2]
  $ prov pack --bogus p.xml
  prov: pack: unknown option '--bogus' (see 'prov pack --help')
  [2]
  $ prov pack --help | head -1
  usage: prov pack [--gzip] [--key KEY [--md md5|sha256]] IN [-o OUT]
  $ prov unpack --help | head -1
  usage: prov unpack [--key KEY | --ikm IKM [--keyid ID]] [--max BYTES] IN [-o OUT]

prov lint and prov phone apply read packed profiles as a phone does, with
--key (D-ENC-1, D-ENC-3):

  $ prov pack --gzip --key 'My Secret' p.xml -o p.cfg
  $ gzip -c p.xml | openssl enc -aes-256-cbc -k 'My Secret' -out o.cfg 2>/dev/null
  $ prov lint --key 'My Secret' p.cfg o.cfg p.xml.gz p.xml
  $ prov lint p.cfg
  prov: p.cfg: encrypted profile, and no key given (--key)
  [1]
  $ prov lint --key 'my secret' o.cfg
  prov: o.cfg: decrypt failed: wrong key or corrupt data (bad padding or garbage)
  [1]
  $ prov phone init --state phone --mac 00:0e:08:AB:CD:EF
  $ prov phone apply --state phone o.cfg
  prov: o.cfg: encrypted profile, and no key given (--key)
  [2]
  $ prov phone apply --state phone --key wrong p.cfg
  prov: p.cfg: decrypt failed: wrong key or corrupt data (bad padding or garbage)
  [2]
  $ prov phone apply --state phone --key 'My Secret' bomb.gz
  prov: bomb.gz: decompressed profile larger than 4194304 bytes
  [2]
  $ prov phone get --state phone GPP_A GPP_B
  GPP_A=
  GPP_B=
  $ prov phone apply --state phone --key 'My Secret' p.cfg
  p.cfg: 2 changed, 0 unchanged, 0 rejected, 0 unknown
  $ prov phone apply --state phone --key 'My Secret' o.cfg
  o.cfg: 0 changed, 2 unchanged, 0 rejected, 0 unknown
  $ prov phone get --state phone GPP_A GPP_B
  GPP_A=12345678
  GPP_B=from a packed file

An XML profile in a declared one-byte charset, or in UTF-16, is a profile
too when encrypted without gzip (regression: refused as a wrong key):

  $ printf '<?xml version="1.0" encoding="ISO-8859-1"?>\n<flat-profile><Display_Name_1_>Ren\351</Display_Name_1_></flat-profile>\n' > l1.xml
  $ printf '<flat-profile><GPP_C>utf-16</GPP_C></flat-profile>' | iconv -t UTF-16LE > u16.xml
  $ prov lint l1.xml u16.xml
  $ openssl enc -aes-256-cbc -md md5 -k K -in l1.xml -out l1.enc 2>/dev/null
  $ openssl enc -aes-256-cbc -md sha256 -k K -in u16.xml -out u16.enc 2>/dev/null
  $ prov lint --key K l1.enc u16.enc
  $ prov unpack --key K l1.enc | cmp - l1.xml
  $ prov phone apply --state phone --key K u16.enc
  u16.enc: 1 changed, 0 unchanged, 0 rejected, 0 unknown
  $ prov phone get --state phone GPP_C
  GPP_C=utf-16
