Every command has --help (exit 0, on stdout); no command without arguments
prompts.

  $ prov --help | head -1
  usage: prov COMMAND [ARGS]
  $ for c in "phone init" "phone get" "phone set" "phone apply" "phone unknown" lint expand eval pack unpack; do prov $c --help | head -1; done
  usage: prov phone init --state DIR --mac MAC [--serial SN]
  usage: prov phone get --state DIR [--user] [NAME ...]
  usage: prov phone set --state DIR [--user] NAME=VALUE ...
  usage: prov phone apply --state DIR [--key KEY] [-v] FILE ...
  usage: prov phone unknown --state DIR
  usage: prov lint [--quiet-unknown] [--key KEY] FILE ...
  usage: prov expand --state DIR [--] TEXT
  usage: prov eval --state DIR [--] CONDITION
  usage: prov pack [--gzip] [--key KEY [--md md5|sha256]] IN [-o OUT]
  usage: prov unpack [--key KEY | --ikm IKM [--keyid ID]] [--max BYTES] IN [-o OUT]
  $ prov phone --help | head -1
  usage: prov phone COMMAND --state DIR [ARGS]
  $ prov > /dev/null 2>&1
  [2]
  $ prov nonsense
  prov: unknown command 'nonsense' (see 'prov --help')
  [2]
  $ prov --version | cut -d' ' -f1
  prov
