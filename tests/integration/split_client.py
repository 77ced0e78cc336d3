#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A client that writes the first message of a connection in small pieces, each in its own TCP
segment, to check that the gateway reassembles it.

  split_client.py tls  ADDR PORT NAME PIECE [--reverse-middle]
      a real TLS ClientHello for server_hostname=NAME (Python's ssl), cut into PIECE-byte
      segments, then the rest of the handshake and "GET /"; the SNI is cut mid-name whatever
      PIECE is, because the cut points are chosen so that one falls inside the name.
  split_client.py http ADDR PORT NAME PIECE
      "GET / HTTP/1.1" with "Host: NAME", cut the same way.

Prints "ok <first response line>" and exits 0 when the server answered, "reset" / "timeout" /
"closed" and exits 1 otherwise."""

import socket
import ssl
import sys
import time

GAP_S = 0.02


def pieces(data, marker, piece):
    """Cut points every `piece` bytes, plus one in the middle of `marker`."""
    cuts = set(range(piece, len(data), piece))
    at = data.find(marker)
    if at >= 0:
        cuts.add(at + len(marker) // 2)
    out, last = [], 0
    for c in sorted(cuts):
        out.append(data[last:c])
        last = c
    out.append(data[last:])
    return [p for p in out if p]


def send_pieces(sock, parts):
    for p in parts:
        sock.sendall(p)
        time.sleep(GAP_S)


def run_tls(sock, name, piece):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_hostname=name)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    send_pieces(sock, pieces(hello, name.encode(), piece))
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            pending = out.read()
            if pending:
                sock.sendall(pending)
            data = sock.recv(65536)
            if not data:
                return "closed"
            inc.write(data)
    pending = out.read()
    if pending:
        sock.sendall(pending)
    tls.write(f"GET / HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
    sock.sendall(out.read())
    buf = b""
    while b"\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            break
        inc.write(data)
        try:
            buf += tls.read(65536)
        except ssl.SSLWantReadError:
            continue
    return "ok " + buf.split(b"\r\n")[0].decode(errors="replace") if buf else "closed"


def run_http(sock, name, piece):
    req = f"GET / HTTP/1.1\r\nUser-Agent: split\r\nHost: {name}\r\nConnection: close\r\n\r\n"
    send_pieces(sock, pieces(req.encode(), name.encode(), piece))
    buf = b""
    while b"\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            break
        buf += data
    return "ok " + buf.split(b"\r\n")[0].decode(errors="replace") if buf else "closed"


def main():
    mode, addr, port, name, piece = sys.argv[1:6]
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(3)
    try:
        sock.connect((addr, int(port)))
        result = (run_tls if mode == "tls" else run_http)(sock, name, int(piece))
    except ConnectionResetError:
        result = "reset"
    except (socket.timeout, TimeoutError):
        result = "timeout"
    except (ssl.SSLError, OSError) as e:
        result = f"error {e}"
    finally:
        sock.close()
    print(result)
    return 0 if result.startswith("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
