#!/usr/bin/env python3
"""An independent RFC 8188 aes128gcm encoder and decoder, and a small HTTP
server sending it, for the interop tests of prov's own (lib/ece.c).

Written from the RFC on python3-cryptography (Debian's python3-cryptography:
HKDF and AESGCM from OpenSSL through its own bindings), sharing no code with
prov. IKM arguments are text used as their UTF-8 bytes (as the phone uses
IKM_HTTP_Encrypt_Content), or b64u:VALUE for binary keys (base64url, as RFC
8188 prints them).

  ece_ref.py encode IKM [--keyid ID] [--rs N] [--pad N] [--salt B64U] <IN >OUT
  ece_ref.py decode IKM <IN >OUT          exit 1 and a reason on refusal
  ece_ref.py serve PORTFILE DIR           HTTP on 127.0.0.1, ephemeral port
      (written to PORTFILE): GET /NAME answers DIR/NAME; a name ending in
      .ece is sent with "Content-Encoding: aes128gcm", unless DIR/NAME.ce
      exists: then each of its lines is sent as a Content-Encoding header.
      Logs to stderr.
"""
import base64
import http.server
import os
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def ikm_arg(s):
    return b64u(s[5:]) if s.startswith("b64u:") else s.encode()


def derive(salt, ikm):
    cek = HKDF(hashes.SHA256(), 16, salt, b"Content-Encoding: aes128gcm\x00").derive(ikm)
    nonce = HKDF(hashes.SHA256(), 12, salt, b"Content-Encoding: nonce\x00").derive(ikm)
    return AESGCM(cek), int.from_bytes(nonce, "big")


def encode(data, ikm, keyid=b"", rs=4096, pad=0, salt=None):
    salt = salt if salt is not None else os.urandom(16)
    gcm, base = derive(salt, ikm)
    out = [salt, rs.to_bytes(4, "big"), bytes([len(keyid)]), keyid]
    room, seq, last = rs - 17, 0, False
    while not last:
        padn = min(pad, room)
        chunk, data = data[:room - padn], data[room - padn:]
        pad -= padn
        last = not data and pad == 0
        plain = chunk + (b"\x02" if last else b"\x01") + b"\x00" * padn
        out.append(gcm.encrypt((base ^ seq).to_bytes(12, "big"), plain, None))
        seq += 1
    return b"".join(out)


def decode(body, ikm):
    if len(body) < 21:
        raise ValueError("truncated header")
    salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    if rs < 18:
        raise ValueError("record size below 18")
    pos = 21 + idlen
    if len(body) <= pos:
        raise ValueError("truncated: no record")
    gcm, base = derive(salt, ikm)
    out, seq = [], 0
    while pos < len(body):
        rec = body[pos:pos + rs]
        pos += len(rec)
        try:
            plain = gcm.decrypt((base ^ seq).to_bytes(12, "big"), rec, None)
        except InvalidTag:
            raise ValueError("record %d does not authenticate" % seq)
        plain = plain.rstrip(b"\x00")
        want = 2 if pos == len(body) else 1
        if not plain or plain[-1] != want:
            raise ValueError("record %d: bad delimiter" % seq)
        out.append(plain[:-1])
        seq += 1
    return b"".join(out)


def serve(portfile, root):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            path = os.path.join(root, os.path.basename(self.path))
            try:
                with open(path, "rb") as f:
                    body = f.read()
            except OSError:
                self.send_error(404)
                return
            self.send_response(200)
            if os.path.exists(path + ".ce"):
                with open(path + ".ce") as f:
                    for line in f.read().splitlines():
                        self.send_header("Content-Encoding", line)
            elif path.endswith(".ece"):
                self.send_header("Content-Encoding", "aes128gcm")
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % httpd.server_address[1])
    os.rename(portfile + ".tmp", portfile)
    httpd.serve_forever()


def main(argv):
    if len(argv) >= 3 and argv[0] == "serve":
        serve(argv[1], argv[2])
        return 0
    if len(argv) < 2 or argv[0] not in ("encode", "decode"):
        sys.stderr.write(__doc__)
        return 2
    ikm, opts = ikm_arg(argv[1]), dict(zip(argv[2::2], argv[3::2]))
    data = sys.stdin.buffer.read()
    if argv[0] == "encode":
        salt = b64u(opts["--salt"]) if "--salt" in opts else None
        out = encode(data, ikm, opts.get("--keyid", "").encode(),
                     int(opts.get("--rs", 4096)), int(opts.get("--pad", 0)), salt)
    else:
        try:
            out = decode(data, ikm)
        except ValueError as e:
            sys.stderr.write("ece_ref: refused: %s\n" % e)
            return 1
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
