#!/usr/bin/env python3
"""R-ENUM: walk a MAC range against `prov serve` from several loopback
source addresses, over HTTP keep-alive, and print per address how many
answers of each status it got, one line per address, sorted:

    127.0.0.2 200=0 404=50 429=2450

usage: enumerate.py PORT FIRST_MAC COUNT ADDR... (COUNT MACs split evenly
over the addresses, interleaved: address i asks FIRST+i, FIRST+i+n, ...)
"""
import http.client
import sys


def main():
    port, first, count = int(sys.argv[1]), int(sys.argv[2], 16), int(sys.argv[3])
    addrs = sys.argv[4:]
    conns = {a: http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                           source_address=(a, 0)) for a in addrs}
    seen = {a: {} for a in addrs}
    for i in range(count):
        a = addrs[i % len(addrs)]
        c = conns[a]
        c.request("GET", "/%012x.xml" % (first + i))
        r = c.getresponse()
        r.read()
        seen[a][r.status] = seen[a].get(r.status, 0) + 1
        if r.getheader("Connection", "").lower() == "close":
            c.close()
    for a in addrs:
        print(a, " ".join("%d=%d" % (s, seen[a].get(s, 0)) for s in (200, 404, 429)))


if __name__ == "__main__":
    main()
