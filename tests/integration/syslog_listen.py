#!/usr/bin/env python3
"""A syslog collector for the tests: receives UDP datagrams on 127.0.0.1
and appends each one to OUT as one line, as it came (RFC 3164 framing is
what the tests check, so nothing is parsed or rewritten here).

    syslog_listen.py PORTFILE OUT [PORT]

Binds 127.0.0.1:PORT (0, the default: an ephemeral port), then writes the
port to PORTFILE (atomically: PORTFILE.tmp, then rename) so that a caller
can wait for it. OUT is opened for appending (O_APPEND), so a test may
empty it with `: > OUT` between steps. Runs until killed; servers.sh's
prov_syslog starts it in its own process group and stops it with the rest.
"""
import os
import socket
import sys


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    portfile, out = sys.argv[1], sys.argv[2]
    port = int(sys.argv[3]) if len(sys.argv) == 4 else 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind(("127.0.0.1", port))
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    while True:
        data, _ = s.recvfrom(65536)
        # One datagram, one line: a newline inside would forge a second
        # record, so it shows as the two characters \n (the device never
        # sends one: slog.c blanks control characters).
        os.write(fd, data.replace(b"\n", b"\\n") + b"\n")


if __name__ == "__main__":
    sys.exit(main())
