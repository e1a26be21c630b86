#!/usr/bin/env python3
"""Issue 12, item 5: idle connections must not leave a new client unanswered.

usage: idle_conns.py PORT COUNT PATH

Raises its own soft RLIMIT_NOFILE to the hard limit, opens COUNT
connections to 127.0.0.1:PORT that send nothing, then one probe asks for
PATH. Prints the probe's status line and its Retry-After header when
there is one, or "no answer" when it gets none within 10 s (an empty
reply, a reset, or silence). The idle connections are then closed.
"""
import resource
import socket
import sys

port, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
probe = socket.create_connection(("127.0.0.1", port), timeout=10)
head = b""
try:
    probe.sendall(("GET %s HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"
                   % path).encode())
    while b"\r\n\r\n" not in head:
        chunk = probe.recv(4096)
        if not chunk:
            break
        head += chunk
except OSError:
    pass
lines = head.split(b"\r\n\r\n")[0].split(b"\r\n") if b"\r\n\r\n" in head else []
if not lines:
    print("no answer")
else:
    print(lines[0].decode())
    for line in lines[1:]:
        if line.lower().startswith(b"retry-after:"):
            print(line.decode())
probe.close()
for s in idle:
    s.close()
