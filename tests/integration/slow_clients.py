#!/usr/bin/env python3
"""R-SLOW: thousands of slow clients cannot starve the others.

usage: slow_clients.py PORT COUNT PROBES PATH

Opens COUNT connections to 127.0.0.1:PORT from the source addresses
127.0.0.2.. (at most 250 per address, under the server's per-client cap),
each sending half a request header and then nothing. While they hang,
PROBES GET requests for PATH from 127.0.0.1 must all be answered 200 within
10 s each. Prints how many slow connections were open, how many probes
succeeded, and then how many of the slow connections the server had closed
after a further wait (its header timeout must end them).
"""
import socket
import sys
import time

port, count, probes, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
slow = []
for i in range(count):
    src = "127.0.0.%d" % (2 + i // 250)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    slow.append(s)
time.sleep(0.5)
opened = 0
for s in slow:
    try:
        s.send(b"GET /a.xml HTTP/1.1\r\nHost: slow\r\nX-Slow: ")
        opened += 1
    except OSError:
        pass

ok = 0
for i in range(probes):
    p = socket.create_connection(("127.0.0.1", port), timeout=10)
    p.sendall(("GET %s HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n" % path).encode())
    data = b""
    while True:
        chunk = p.recv(65536)
        if not chunk:
            break
        data += chunk
    p.close()
    if data.startswith(b"HTTP/1.1 200 "):
        ok += 1
print("slow connections open: %d" % opened)
print("probes answered 200: %d of %d" % (ok, probes))

# The header timeout ends every slow connection: each sees EOF (or a reset).
deadline = time.time() + 15
closed = 0
pending = list(slow)
while pending and time.time() < deadline:
    rest = []
    for s in pending:
        try:
            d = s.recv(4096)
            if d == b"" or d.startswith(b"HTTP/1.1 408") or d.startswith(b"HTTP/1.1 4"):
                closed += 1
                continue
            rest.append(s)
        except BlockingIOError:
            rest.append(s)
        except OSError:
            closed += 1
    pending = rest
    time.sleep(0.1)
print("slow connections closed by the server: %d" % closed)
