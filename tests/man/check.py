#!/usr/bin/env python3
"""The man pages (man/*.[158]) and `--help` never disagree on options.

Usage: check.py PROV MANDIR CONFIG_C

1. Every part of a man page that begins with a comment line
       .\\" help: prov WORDS
   (and runs to the next such line or the end of the page) documents
   `prov WORDS --help`: the options either names must be the other's.
   Options are long ones anywhere (--name) and short ones listed as
   options (help: an indented "-o" line or a "[-o" in a usage; man page:
   "Fl o"); in the man page only mdoc's Fl macro counts (Fl -name is
   --name). --help and -h are left out: every command has them.
2. Every command `prov --help` lists, and every command of a group that
   it lists only as "GROUP SUB" (like "phone init"), as `prov GROUP
   --help` lists them, has such a part; every part names a command.
3. prov.conf(5)'s ".It Cm NAME" items are exactly the option table of
   server/config.c.
Prints each disagreement and exits 1, or prints a summary and exits 0.
"""
import glob
import os
import re
import subprocess
import sys

MARK = re.compile(r'^\.\\"\s*help:\s*(prov(?: [a-z][a-z0-9-]*)*)\s*$')
MAN_LONG = re.compile(r'(?<![A-Za-z])Fl -([a-z][a-z0-9-]*)')
MAN_SHORT = re.compile(r'(?<![A-Za-z])Fl ([A-Za-z])(?=\s|$)')
HELP_LONG = re.compile(r'(?<![\w-])--([a-z][a-z0-9-]*)')
HELP_SHORT_LINE = re.compile(r'^\s+-([A-Za-z])(?=[ ,]|$)', re.M)
HELP_SHORT_USAGE = re.compile(r'\[-([A-Za-z])(?=[ \]])')
LISTED = re.compile(r'^  ([a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*)?)  +\S', re.M)
UNIVERSAL = {'--help', '-h'}


def help_text(prov, words):
    r = subprocess.run([prov] + words + ['--help'], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def help_options(text):
    opts = {'--' + m for m in HELP_LONG.findall(text)}
    opts |= {'-' + m for m in HELP_SHORT_LINE.findall(text)}
    opts |= {'-' + m for m in HELP_SHORT_USAGE.findall(text)}
    return opts - UNIVERSAL


def man_parts(path):
    """{command: set of options} for the marked parts of one page."""
    parts, cmd, lines = {}, None, []
    with open(path, encoding='utf-8') as f:
        for line in f.read().splitlines() + ['.\\" help: prov-end']:
            m = MARK.match(line) or re.match(r'^\.\\" help: (prov-end)$', line)
            if m:
                if cmd is not None:
                    body = '\n'.join(lines)
                    opts = {'--' + o for o in MAN_LONG.findall(body)}
                    opts |= {'-' + o for o in MAN_SHORT.findall(body)}
                    parts[cmd] = opts - UNIVERSAL
                cmd, lines = m.group(1), []
            elif cmd is not None:
                lines.append(line)
    return parts


def main():
    prov, mandir, config_c = sys.argv[1:4]
    bad = []
    parts = {}
    for page in sorted(glob.glob(os.path.join(mandir, '*.[0-9]'))):
        for cmd, opts in man_parts(page).items():
            if cmd in parts:
                bad.append(f'{os.path.basename(page)}: "{cmd}" is documented twice')
            parts[cmd] = (os.path.basename(page), opts)

    # 2. Which commands there are, as --help says.
    rc, top = help_text(prov, [])
    if rc != 0:
        bad.append(f'prov --help exited {rc}')
    listed = LISTED.findall(top)
    commands = {'prov'}
    singles = {c for c in listed if ' ' not in c}
    for c in listed:
        commands.add('prov ' + c)
        group = c.split(' ')[0]
        if ' ' in c and group not in singles:
            commands.add('prov ' + group)
    for group in sorted({c.split(' ')[0] for c in listed if ' ' in c} - singles):
        rc, text = help_text(prov, [group])
        for sub in LISTED.findall(text):
            if ' ' not in sub:
                commands.add(f'prov {group} {sub}')
    for cmd in sorted(commands - parts.keys()):
        bad.append(f'"{cmd}" is in --help but in no man page (add a '
                   f'\'.\\" help: {cmd}\' part)')

    # 1. Their options, both ways.
    for cmd in sorted(parts):
        page, man_opts = parts[cmd]
        rc, text = help_text(prov, cmd.split(' ')[1:])
        if rc != 0 or not text.startswith('usage:'):
            bad.append(f'{page}: "{cmd}": `{cmd} --help` exited {rc} without a '
                       f'usage: not a command')
            continue
        if cmd not in commands:
            bad.append(f'{page}: "{cmd}" is documented but not listed by --help')
        h = help_options(text)
        for o in sorted(h - man_opts):
            bad.append(f'{page}: "{cmd}": {o} is in --help but not in the man page')
        for o in sorted(man_opts - h):
            bad.append(f'{page}: "{cmd}": {o} is in the man page but not in --help')

    # 3. prov.conf(5) and the option table.
    with open(config_c, encoding='utf-8') as f:
        table = set(re.findall(r'^\s*\{ "([a-z][a-z0-9-]*)", OPT_', f.read(), re.M))
    with open(os.path.join(mandir, 'prov.conf.5'), encoding='utf-8') as f:
        conf = set(re.findall(r'^\.It Cm ([a-z][a-z0-9-]*)', f.read(), re.M))
    if not table:
        bad.append(f'{config_c}: no option table found')
    for o in sorted(table - conf):
        bad.append(f'prov.conf.5: option {o} of {config_c} is not documented')
    for o in sorted(conf - table):
        bad.append(f'prov.conf.5: option {o} is documented but not in {config_c}')

    for b in bad:
        print(b)
    if bad:
        print(f'{len(bad)} disagreements between --help and the man pages')
        return 1
    n = sum(len(o) for _, o in parts.values())
    print(f'{len(parts)} commands, {n} options and {len(table)} configuration '
          f'options agree between --help and the man pages')
    return 0


if __name__ == '__main__':
    sys.exit(main())
