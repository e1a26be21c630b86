#!/usr/bin/env python3
"""Derive lib/catalog/mpp.tsv rows from real profiles (docs/CATALOGUE.md).

Usage: scripts/catalog-derive.py REALWORLD_DIR [lib/catalog/mpp.tsv] > rows.tsv

With the current catalogue as second argument, its rows marked "guide"
(checked by hand against Cisco's guides) keep their type, default and
bounds; only their products column follows the corpus.

Reads every REALWORLD_DIR/rendered/*.xml (Cisco MPP and SPA profiles as
FusionPBX and wazo-provd send them) and writes one catalogue row per
parameter family: the name with each index written as '#', the index
kinds, a type inferred from the values and from the choice lists the
exports carry in comments ("available options: A|B", "options: A/B",
"options: 0:x, 1:y"), a default, the products that use it and the web
page group (the section comment or group="Tab/Section" attribute). This
is a starting point: rows checked against Cisco's guides are edited by
hand in mpp.tsv and carry source "guide".
"""
import collections
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

IDX = re.compile(r'_([0-9]+)_')
LINE_COUNTS = {'fusionpbx-8841': 10, 'fusionpbx-9861': 16, 'fusionpbx-spa504g': 4,
               'fusionpbx-spa191': 2, 'wazo-cp-phone': 12, 'wazo-spa-phone': 12}
# file -> product, with the firmware the template targets where the
# provisioning system says (wazo-provd's plugin versions)
PRODUCT = [('wazo-8841', '8841@12.0.7'), ('wazo-6821', '6821@11.3.1'),
           ('wazo-spa504g', 'SPA504G@7.5.5'), ('cp-phone', 'MPP@12.0.7'),
           ('spa-phone', 'SPA@7.5.5'), ('model-cfg', 'MPP@12.0.7'),
           ('8841', '8841'), ('9861', '9861'), ('spa504g', 'SPA504G'),
           ('spa191', 'SPA191')]
SECRET = re.compile(r'(Password|Passwd|PIN$|_PIN_|Secret|PSK|Passphrase|Community|Auth_Key|Private_Key)', re.I)
INT = re.compile(r'^-?[0-9]{1,9}$')


def family(name):
    """User_ID_3_ -> (User_ID_#_, [3]); Unit_1_Key_2_ -> (Unit_#_Key_#_, [1, 2])."""
    idx = []
    fam = name
    # indices are _N_ groups; scan left to right, allowing shared underscores
    out, i = '', 0
    while True:
        m = IDX.search(fam, i)
        if m is None:
            out += fam[i:]
            break
        t = m.group(1)
        if len(t) > 2 or t.startswith('0'):
            # a number that is part of the name: RFC_2543_, TR_069_, Reply_182_
            out += fam[i:m.end() - 1]
        else:
            out += fam[i:m.start()] + '_#'
            idx.append(int(t))
        i = m.end() - 1
    return out, idx


def options(text):
    t = text.strip()
    m = re.search(r'options:\s*(.*)$', t, re.S)
    if not m:
        return None
    body = m.group(1).strip()
    if '|' in body:
        return [o.strip() for o in body.split('|')]
    if re.match(r'^[0-9]+:', body):
        return [o.split(':')[0].strip() for o in body.split(',')]
    return [o.strip() for o in body.split('/')]


TABS = [
    ('Provisioning', r'Profile|Firmware|Upgrade|CA Settings|HTTP Settings|Problem Report|'
                     r'General Purpose|TR-069|TR_069|Provision|Resync|PRT'),
    ('SIP', r'SIP|RTP|SDP|NAT|Response Status|Timer Values|Key System'),
    ('Regional', r'Tone|Ring|Cadence|Pattern|Control Timer|Vertical Service|Activation Code|'
                 r'Codec Selection|Time|Language|Daylight|Miscellaneous'),
    ('System', r'System|Power|Network|IPv4|IPv6|802\.1X|VLAN|Inventory|Security|Web|'
               r'Internet|LLDP|CDP|Log|SNMP|WAN|LAN|DHCP|QoS|Router|Port|Interface'),
    ('User', r'Call Forward|Speed Dial|Audio|Volume|Acoustic|Screen|Display'),
]


def tab_group(fam, kinds, group):
    """Tab/Section as on the phone's web page (Voice > Tab)."""
    if '/' in group:
        tab, sec = group.split('/', 1)
        tab = re.sub(r'_[0-9]+$', '', tab).replace('_', ' ')
        tab = {'Attendant Console': 'Att Console'}.get(tab, tab)
        sec = re.sub(r'[_ ]*[0-9]+$', '', sec).replace('_', ' ')
        if tab in ('System', 'SIP', 'Provisioning', 'Regional', 'Phone', 'User',
                   'Ext', 'Att Console'):
            return '%s/%s' % (tab, sec)
        group = sec
    sec = re.sub(r'\s+', ' ', group.replace('_', ' ')).strip() or 'Other'
    sec = re.sub(r'(?<=[a-z])(?=[A-Z])', ' ', sec) if ' ' not in sec else sec
    if 'kemunit' in kinds:
        return 'Att Console/' + sec
    if 'line' in kinds:
        return 'Ext/' + sec
    for tab, rx in TABS:
        if re.search(rx, sec, re.I):
            return tab + '/' + sec
    return 'Phone/' + sec


def product(path):
    base = os.path.basename(path)
    for key, prod in PRODUCT:
        if key in base:
            return prod
    return 'MPP'


def templated(root):
    """Families whose value the provisioning system fills in per device
    (a template expression in raw/): their export value is no default."""
    out = set()
    for path in glob.glob(os.path.join(root, 'raw', '**', '*'), recursive=True):
        if not os.path.isfile(path):
            continue
        with open(path, encoding='utf-8', errors='replace') as f:
            text = f.read()
        for m in re.finditer(r'<([A-Za-z][A-Za-z0-9_.-]*)[^>/]*>([^<]*)</\1>', text):
            if '{' in m.group(2):
                out.add(family(m.group(1))[0])
    return out


def main():
    root = sys.argv[1]
    perdevice = templated(root)
    guide = {}
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding='utf-8') as f:
            for line in f:
                c = line.rstrip('\n').split('\t')
                if len(c) == 9 and c[8] == 'guide':
                    guide[c[0]] = c
    vals = collections.defaultdict(list)
    maxidx = collections.defaultdict(lambda: None)
    opts, groups, prods, first = {}, {}, collections.defaultdict(set), {}
    lineish = set()
    for path in sorted(glob.glob(os.path.join(root, 'rendered', '*.xml'))):
        stem = os.path.basename(path)[:-4]
        if stem.startswith('variant-'):
            continue
        section, last, depth = '', None, 0
        fmax = collections.defaultdict(int)
        parser = ET.XMLPullParser(events=('start', 'end', 'comment'))
        tb = None
        with open(path, 'rb') as f:
            data = f.read()
        parser = ET.XMLPullParser(events=('start', 'end', 'comment'),
                                  _parser=ET.XMLParser(target=ET.TreeBuilder(insert_comments=True)))
        parser.feed(data)
        inflat, stack = False, []
        for ev, el in parser.read_events():
            if ev == 'comment':
                o = options(el.text or '')
                if o is not None and last is not None:
                    opts.setdefault(last, o)
                elif o is None and el.text and len(el.text.strip()) < 60 and '<' not in el.text:
                    section = ' '.join(el.text.split())
                continue
            tag = el.tag.split('}')[-1]
            if ev == 'start':
                stack.append(tag)
                if tag == 'flat-profile':
                    inflat = True
                continue
            stack.pop()
            if not inflat or tag == 'flat-profile' or len(el) > 0:
                continue
            fam, idx = family(tag)
            last = fam
            v = ' '.join((el.text or '').split())
            if 'ua' in el.attrib and el.text is None:
                v = None
            if v is not None:
                vals[fam].append(v)
            first.setdefault(fam, (stem, tag, v))
            g = el.attrib.get('group') or section or 'Other'
            groups.setdefault(fam, g)
            prods[fam].add(product(path))
            for k, n in enumerate(idx):
                m = maxidx[fam] or [0] * len(idx)
                if len(m) == len(idx):
                    m[k] = max(m[k], n)
                    maxidx[fam] = m
                fmax[(fam, k)] = max(fmax[(fam, k)], n)
        lc = LINE_COUNTS.get(stem)
        for (fam, k), n in fmax.items():
            if lc is not None and n == lc and lc >= 4:
                lineish.add((fam, k))
    for fam in sorted(vals.keys() | set(first)):
        idx = maxidx[fam] or []
        kinds = []
        for k, n in enumerate(idx):
            if fam.startswith('Unit_#') and k == 0:
                kinds.append('kemunit')
            elif fam.startswith('Unit_#') and k == 1:
                kinds.append('kemkey')
            elif (fam, k) in lineish or n in (10, 12, 16):
                kinds.append('line')
            else:
                kinds.append(str(n))
        vs = [v for v in vals[fam]]
        ne = [v for v in vs if v != '']
        o = opts.get(fam)
        secret = bool(SECRET.search(fam))
        if o is not None and not secret and not any('|' in v for v in vs):
            allv = list(o)
            for v in ne:
                if v.lower() not in [a.lower() for a in allv]:
                    allv.append(v)
            if '' in vs and '' not in allv:
                allv.append('')
            typ, bounds = 'choice', '|'.join(allv)
        elif ne and all(v.lower() in ('yes', 'no') for v in ne) and '' not in vs:
            typ, bounds = 'bool', ''
        elif ne and all(INT.match(v) for v in ne) and not secret:
            lo = min(0, min(int(v) for v in ne))
            typ, bounds = ('int?' if '' in vs else 'int'), '%d..2147483647' % lo
        else:
            typ, bounds = 'string', '0..%d' % max(255, max([len(v) for v in vs] or [0]))
        # default: the value of the highest (unconfigured) instance when
        # indexed, else the value as exported; never a secret or an address.
        d = ''
        if ne:
            d = ne[-1] if idx else ne[0]
        if typ == 'string' and fam in perdevice:
            d = ''
        if (secret and typ == 'string') or '127.0.0.1' in d or re.search(r'[0-9a-f]{12}', d) or '@' in d:
            d = ''
        if typ == 'bool':
            d = d.capitalize()
        elif typ == 'int' and d == '':
            d = ne[0] if ne else '0'
        flags = 'secret' if secret and typ == 'string' else '-'
        row = [fam, ','.join(kinds) or '-', typ, d, bounds or '-', flags,
               ','.join(sorted(prods[fam])),
               tab_group(fam, kinds, groups.get(fam, 'Other')), 'corpus']
        if fam in guide:
            row = guide[fam][:6] + [row[6]] + guide[fam][7:]
        print('\t'.join(row))


main()
