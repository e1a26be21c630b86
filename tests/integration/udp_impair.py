#!/usr/bin/env python3
"""udp_impair: a UDP proxy that loses, duplicates and reorders datagrams,
for testing TFTP transfers under impairment (reliability.md R-TFTP).

    udp_impair.py --server 127.0.0.1:PORT [--listen 127.0.0.1] [--loss 10]
                  [--dup 5] [--reorder 5] [--delay-ms 20] [--seed 1]
                  [--idle 60]

Prints the port it listens on (one line) on stdout, then runs until
SIGTERM/SIGINT or --idle seconds without traffic, and prints what it did
on stderr when it ends.

TFTP changes ports: the request goes to the server's well-known port, and
the server answers from a new port (its TID). The proxy mirrors that. Per
client address it keeps a session:
  - "up", a socket towards the server; requests are sent from it to the
    server's listening port, everything else to the server's TID once seen;
  - per server TID, a "down" socket towards the client, made when that TID
    is first seen, so the client too sees the answers come from a new port
    (a request sent again may start a second transfer with its own TID;
    the client keeps to one, the other times out, as without the proxy).
Datagrams from the server's listening port (errors answering a request)
go back through the listening socket.

Each datagram forwarded, in either direction, is independently dropped
(--loss percent), sent twice (--dup), or held back for a random 1..delay-ms
milliseconds so later datagrams overtake it (--reorder). The random choices
come from --seed, so a run's impairment pattern is reproducible up to
timing. Only loopback addresses are expected; nothing here needs more
than the standard library.
"""

import argparse
import heapq
import random
import select
import signal
import socket
import sys
import time

SESSIONS_MAX = 256     # concurrent client addresses followed
TIDS_MAX = 16          # server TIDs followed per client address
DGRAM_MAX = 65535      # largest UDP payload read
HELD_MAX = 4096        # datagrams held back for reordering at once


class Session:
    def __init__(self, family, host, client):
        self.client = client
        self.up = socket.socket(family, socket.SOCK_DGRAM)
        self.up.bind((host, 0))
        self.down = {}     # server TID -> socket towards the client
        self.last = time.monotonic()

    def close(self):
        self.up.close()
        for d in self.down.values():
            d.close()


def parse_addr(text):
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", required=True, help="HOST:PORT of the TFTP server")
    ap.add_argument("--listen", default=None, help="address to listen on (default: the server's)")
    ap.add_argument("--loss", type=float, default=0.0, help="percent of datagrams dropped")
    ap.add_argument("--dup", type=float, default=0.0, help="percent of datagrams sent twice")
    ap.add_argument("--reorder", type=float, default=0.0, help="percent of datagrams delayed")
    ap.add_argument("--delay-ms", type=float, default=20.0, help="longest delay of a held datagram")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--idle", type=float, default=60.0, help="exit after this many idle seconds")
    args = ap.parse_args()

    server = parse_addr(args.server)
    host = args.listen if args.listen is not None else server[0]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    rnd = random.Random(args.seed)
    stats = {"forwarded": 0, "dropped": 0, "duplicated": 0, "delayed": 0}

    lsock = socket.socket(family, socket.SOCK_DGRAM)
    lsock.bind((host, 0))
    # One write of the whole line: the reader may close the pipe as soon
    # as it has the newline.
    sys.stdout.write("%d\n" % lsock.getsockname()[1])
    sys.stdout.flush()

    sessions = {}          # client address -> Session
    by_sock = {}           # socket -> (Session, None for "up" | the server TID for "down")
    held = []              # (release time, sequence, socket, data, address)
    seq = 0
    stop = []

    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    def send(sock, data, addr):
        nonlocal seq
        r = rnd.random() * 100.0
        if r < args.loss:
            stats["dropped"] += 1
            return
        copies = 2 if rnd.random() * 100.0 < args.dup else 1
        if copies == 2:
            stats["duplicated"] += 1
        for _ in range(copies):
            if rnd.random() * 100.0 < args.reorder and len(held) < HELD_MAX:
                stats["delayed"] += 1
                at = time.monotonic() + rnd.uniform(0.001, args.delay_ms / 1000.0)
                seq += 1
                heapq.heappush(held, (at, seq, sock, data, addr))
            else:
                stats["forwarded"] += 1
                try:
                    sock.sendto(data, addr)
                except OSError:
                    pass

    last_traffic = time.monotonic()
    while not stop:
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, sock, data, addr = heapq.heappop(held)
            stats["forwarded"] += 1
            try:
                sock.sendto(data, addr)
            except OSError:
                pass
        if now - last_traffic > args.idle:
            break
        timeout = 0.5
        if held:
            timeout = max(0.0, min(timeout, held[0][0] - now))
        socks = [lsock] + list(by_sock.keys())
        try:
            ready, _, _ = select.select(socks, [], [], timeout)
        except InterruptedError:
            continue
        for sock in ready:
            try:
                data, addr = sock.recvfrom(DGRAM_MAX)
            except OSError:
                continue
            last_traffic = time.monotonic()
            addr = addr[:2]
            if sock is lsock:
                s = sessions.get(addr)
                if s is None:
                    if len(sessions) >= SESSIONS_MAX:
                        oldest = min(sessions.values(), key=lambda x: x.last)
                        del sessions[oldest.client]
                        by_sock.pop(oldest.up, None)
                        for d in oldest.down.values():
                            by_sock.pop(d, None)
                        oldest.close()
                    s = Session(family, host, addr)
                    sessions[addr] = s
                    by_sock[s.up] = (s, None)
                s.last = time.monotonic()
                # A request (or one sent again) goes to the listening port.
                send(s.up, data, server)
                continue
            s, tid = by_sock[sock]
            s.last = time.monotonic()
            if tid is not None:
                # From the client to the transfer it follows.
                if addr == s.client:
                    send(s.up, data, tid)
                continue
            # From the server.
            if addr == server:
                send(lsock, data, s.client)
                continue
            d = s.down.get(addr)
            if d is None:
                if len(s.down) >= TIDS_MAX:
                    continue
                d = socket.socket(family, socket.SOCK_DGRAM)
                d.bind((host, 0))
                s.down[addr] = d
                by_sock[d] = (s, addr)
            send(d, data, s.client)

    for s in sessions.values():
        s.close()
    lsock.close()
    print("udp_impair: " + " ".join("%s=%d" % kv for kv in sorted(stats.items())),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
