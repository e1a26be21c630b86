Bash completion (dist/bash-completion/prov, installed by cmake --install
and the prov package): commands, subcommands and options, read from the
prov on PATH's own --help (docs/PACKAGING.md).

  $ . "$TESTDIR_SRC/../../dist/bash-completion/prov"
  $ complete -p prov
  complete -o default -F _prov prov
  $ c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _prov; printf '%s\n' "${COMPREPLY[@]}"; }

Commands, then a group's subcommands:

  $ c prov te
  template
  $ c prov --v
  --version
  $ c prov phone re
  resync
  report

Options of a command, and of a subcommand:

  $ c prov lint --
  --help
  --key
  --quiet-unknown
  $ c prov phone run --dhcp
  --dhcp-inform
  --dhcp-option
  $ c prov serve --tftp-max-w
  --tftp-max-window
