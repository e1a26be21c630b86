What a command loads at start (issue 17, docs/ARCHITECTURE.md "libcurl on
first use"): libprov does not link libcurl, it loads it on the first
fetch. Commands that never fetch (pack, unpack, lint, expand, eval, ...)
never map it and its ~28 libraries; a resync does. LD_DEBUG=files has the
dynamic loader name every object it opens, on stderr.

  $ printf '<flat-profile>\n  <GPP_A>1</GPP_A>\n</flat-profile>\n' > p.xml
  $ prov pack --gzip --key k p.xml -o p.cfg
  $ loads() { LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -o 'file=libcurl\.so[.0-9]*' | sort -u | wc -l; }
  $ loads prov unpack --key k p.cfg
  0
  $ loads prov lint p.xml
  0
  $ loads prov --version
  0

A fetch loads it, here one refused at once (nothing listens on port 1):

  $ prov phone init --state ph --mac 000e08abcdef
  $ loads prov phone resync --state ph 'http://127.0.0.1:1/p.xml'
  1
