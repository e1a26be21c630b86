#!/usr/bin/env python3
"""Independent reading of a real profile, checked against a device.

Usage: check.py PROFILE LINES KEM_UNITS KEM_KEYS GET UNKNOWN [REJECTED ...]

PROFILE is read with Python's own XML parser, not prov's: every leaf
element inside <flat-profile>, at any depth (SPA/ATA groups such as
<router-configuration>), is a parameter (device.md D-PRO-2, D-PRO-3a):
text trimmed, line ends as spaces; <X></X> and a bare <X/> are ""; a
self-closing element with attributes keeps the value; the last occurrence
wins. SPA-era names are read as the MPP names the guides give for them.

GET is `prov phone get` (NAME=VALUE for every parameter the device has),
UNKNOWN is `prov phone unknown`. Every parameter of the profile must
either show the profile's value in GET (Yes/No and choices in their
canonical spelling, secrets masked), or be unknown because its line,
key expansion module or key is beyond the product's counts (LINES,
KEM_UNITS, KEM_KEYS). REJECTED names are values the profile gets wrong
(an empty Yes/No): they must keep their previous value. Prints one
summary line; exits 1 with every mismatch listed.
"""
import re
import sys
import xml.parsers.expat

ALIASES = {  # SPA administration guide name -> MPP name
    'Admin_Passwd': 'Admin_Password',
    'Log_Resync_Request_Msg': 'Log_Request_Msg',
    'Log_Resync_Success_Msg': 'Log_Success_Msg',
    'Log_Resync_Failure_Msg': 'Log_Failure_Msg',
}
MASK = '********'


def norm(text):
    t = text.strip(' \t\r\n')
    return re.sub(r'\r\n|\r|\n', ' ', t)


def expected(path):
    """name -> value, or None where the element keeps the value."""
    with open(path, 'rb') as f:
        raw = f.read()
    if raw.startswith(b'\xef\xbb\xbf'):
        raw = raw[3:]
    p = xml.parsers.expat.ParserCreate()
    stack, want = [], {}

    def start(name, attrs):
        if stack:
            stack[-1]['kids'] = True
        at = p.CurrentByteIndex
        gt = raw.index(b'>', at)
        stack.append({'name': name, 'attrs': attrs, 'text': [], 'kids': False,
                      'empty': raw[gt - 1:gt] == b'/'})

    def text(data):
        if stack:
            stack[-1]['text'].append(data)

    def end(name):
        e = stack.pop()
        inside = any(s['name'] == 'flat-profile' for s in stack)
        if not inside or e['kids']:
            return
        n = ALIASES.get(name, name)
        if e['empty'] and e['attrs']:
            want.setdefault(n, None)
        else:
            want[n] = norm(''.join(e['text']))

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = text
    p.Parse(raw, True)
    return want


def beyond(name, lines, units, keys):
    m = re.match(r'^Unit_([0-9]+)_(?:.*_([0-9]+)_)?', name)
    if m:
        return int(m.group(1)) > units or (m.group(2) and int(m.group(2)) > keys)
    return any(int(n) > lines for n in re.findall(r'_([0-9]{1,2})_', name))


def main():
    path, lines, units, keys, getf, unkf = sys.argv[1:7]
    rejected = set(sys.argv[7:])
    lines, units, keys = int(lines), int(units), int(keys)
    got = {}
    with open(getf, encoding='utf-8') as f:
        for line in f:
            k, _, v = line.rstrip('\n').partition('=')
            got[k] = v
    with open(unkf, encoding='utf-8') as f:
        unknown = set(l.strip() for l in f if l.strip())
    bad, checked, off = [], 0, 0
    for name, v in expected(path).items():
        if name not in got:
            if name in unknown and beyond(name, lines, units, keys):
                off += 1
            else:
                bad.append('%s: not a parameter of this device' % name)
            continue
        checked += 1
        g = got[name]
        if name in rejected or v is None:
            continue
        if g == v or g.casefold() == v.casefold() or (g == MASK and v != ''):
            continue
        bad.append('%s: profile says %r, device has %r' % (name, v, g))
    for name in rejected:
        if name not in got:
            bad.append('%s: rejected but not a parameter' % name)
    print('%s: %d parameters as the profile says, %d beyond the product' %
          (path.rsplit('/', 1)[-1], checked, off))
    for b in bad:
        print('  ' + b)
    return 1 if bad else 0


sys.exit(main())
