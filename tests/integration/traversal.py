#!/usr/bin/env python3
"""R-PATH: walk a corpus of traversal paths over HTTP and TFTP against a
server and prove that no byte from outside its root is ever served.

usage: traversal.py HOST HTTP_PORT TFTP_PORT ROOT OUTSIDE_FILE

ROOT is the served directory; OUTSIDE_FILE a file beside it (outside) whose
content is a unique marker. The script adds symlinks inside ROOT that lead
out (absolute, relative, through /proc), then requests every path of the
corpus with a raw HTTP/1.1 request (no client-side normalisation) and a
raw TFTP RRQ. It fails when any answer contains the marker or a line of
/etc/passwd, and also when a path that is inside the root is not served
(so the test can fail both ways). Prints one summary line.
"""
import os
import socket
import sys

host, http_port, tftp_port, root, outside = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
marker = open(outside, "rb").read().strip()
passwd = b"root:x:0:0"
outside_name = os.path.basename(outside)
rel_up = os.path.relpath(os.path.dirname(outside), root)  # ".."

# Symlinks that lead out of the root, and one that stays inside.
links = {
    "abs-link": outside,
    "rel-link": os.path.join(rel_up, outside_name),
    "etc-link": "/etc",
    "passwd-link": "/etc/passwd",
    "proc-link": "/proc/self/root" + outside,
    "deep/up-link": "../../" + outside_name,
    "inside-link": "a.xml",
}
os.makedirs(os.path.join(root, "deep"), exist_ok=True)
for name, target in links.items():
    p = os.path.join(root, name)
    if not os.path.lexists(p):
        os.symlink(target, p)

ups = ["..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "..%00", "%c0%ae%c0%ae",
       "....", "..\\", "..%5c", "%2e%2e%5c", "..;", ".. ", "..%20"]
seps = ["/", "%2f", "%2F", "\\", "%5c", "//", "/./"]
targets = [outside_name, "etc/passwd", "etc%2fpasswd"]
corpus = set()
for up in ups:
    for sep in seps:
        for depth in (1, 2, 6):
            for t in targets:
                corpus.add("/" + (up + sep) * depth + t)
                corpus.add((up + sep) * depth + t)
corpus.update([
    "/etc/passwd", "//etc/passwd", "/%2fetc%2fpasswd", "%2fetc%2fpasswd", "/./../" + outside_name,
    "/a.xml/../../" + outside_name, "/deep/../../" + outside_name, "/abs-link", "/rel-link",
    "/etc-link/passwd", "/passwd-link", "/proc-link", "/deep/up-link", "/abs-link/",
    "/a.xml%00../../" + outside_name, "/a.xml\x00../../" + outside_name,
    "/" + "a/" * 300 + "../" * 301 + outside_name, "/proc/self/root/etc/passwd",
    "/dev/../../" + outside_name, "file:///etc/passwd", "http://x/../" + outside_name,
    "/..", "/../", "..", ".", "/", "",
])
inside = ["/a.xml", "a.xml", "/deep/../a.xml", "/./a.xml", "/inside-link", "/deep/b.cfg", "/%61.xml"]
inside_body = open(os.path.join(root, "a.xml"), "rb").read()


def http_get(path):
    s = socket.create_connection((host, http_port), timeout=5)
    raw = path.encode("latin-1")
    s.sendall(b"GET " + raw + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def tftp_get(path):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(3)
    name = path.encode("latin-1")
    s.sendto(b"\x00\x01" + name + b"\x00octet\x00", (host, tftp_port))
    data = b""
    expect = 1
    while True:
        try:
            pkt, peer = s.recvfrom(70000)
        except socket.timeout:
            break
        op = int.from_bytes(pkt[:2], "big")
        if op == 5:
            data += pkt
            break
        if op != 3:
            break
        blk = int.from_bytes(pkt[2:4], "big")
        if blk == expect:
            data += pkt[4:]
            expect = (expect + 1) & 0xFFFF
        s.sendto(b"\x00\x04" + pkt[2:4], peer)
        if len(pkt) - 4 < 512:
            break
    s.close()
    return data


bad = []
checked = 0
for path in sorted(corpus):
    for proto, fn in (("http", http_get), ("tftp", tftp_get)):
        if proto == "tftp" and (len(path.encode("latin-1")) > 500 or "\x00" in path):
            continue
        if proto == "http" and ("\x00" in path or " " in path):
            continue  # not a valid request line; HTTP clients cannot send it
        body = fn(path)
        checked += 1
        if marker in body or passwd in body:
            bad.append("%s %r served bytes from outside the root" % (proto, path))
for path in inside:
    for proto, fn in (("http", http_get), ("tftp", tftp_get)):
        if proto == "tftp" and "%" in path:
            continue  # TFTP names are not URL-encoded
        if proto == "http" and not path.startswith("/"):
            continue  # not an origin-form request-target: 400 is right
        body = fn(path)
        want = inside_body if "b.cfg" not in path else open(os.path.join(root, "deep/b.cfg"), "rb").read()
        if want not in body:
            bad.append("%s %r: a file inside the root was not served" % (proto, path))
for b in bad:
    print(b)
print("%d traversal requests (%d paths) over HTTP and TFTP: %s" % (
    checked, len(corpus), "no byte outside the root" if not bad else "%d FAILED" % len(bad)))
sys.exit(1 if bad else 0)
