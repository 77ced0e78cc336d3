#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A TLS server for the lab that writes down the name each client asked for, as its TLS stack
(OpenSSL) parsed it: one line "sni NAME PEER" from the server_name callback, which runs while
the ClientHello is processed, before the handshake completes, so even a hello that is never
finished is logged. A client that completes the handshake and sends an HTTP request gets
"HTTP/1.1 200 OK" and a short body, then the connection closes.

  tls_server.py CERT KEY LOG ADDR... [--port N]

Connections are served by one thread each, at most MAX_CONNECTIONS at a time (more are closed
at once); a handshake or request that takes longer than IDLE_S is given up."""

import socket
import ssl
import sys
import threading

MAX_CONNECTIONS = 1024
IDLE_S = 20
REQUEST_MAX = 16384
BODY = b"hello from the lab server\n"

slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
log_lock = threading.Lock()


def log_line(log, text):
    with log_lock:
        log.write(text + "\n")
        log.flush()


def serve(ctx, conn, peer, log):
    try:
        conn.settimeout(IDLE_S)
        tls = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        # The callback sees the SSLSocket; it needs the peer's address for the log line.
        tls.lab_peer = peer
        tls.do_handshake()
        req = b""
        while b"\r\n\r\n" not in req and len(req) < REQUEST_MAX:
            data = tls.recv(4096)
            if not data:
                break
            req += data
        if req:
            head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            tls.sendall(head % len(BODY) + BODY)
        tls.close()
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()
        slots.release()


def on_sni(sslsock, name, ctx, log):
    log_line(log, f"sni {name if name is not None else '-'} {getattr(sslsock, 'lab_peer', '?')}")


def accept_loop(lsock, ctx, log):
    while True:
        conn, addr = lsock.accept()
        if not slots.acquire(blocking=False):
            conn.close()
            continue
        threading.Thread(target=serve, args=(ctx, conn, addr[0], log), daemon=True).start()


def main():
    args = sys.argv[1:]
    port = 443
    if "--port" in args:
        i = args.index("--port")
        port = int(args[i + 1])
        del args[i : i + 2]
    cert, key, log_path, addrs = args[0], args[1], args[2], args[3:]
    log = open(log_path, "a", encoding="utf-8")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.sni_callback = lambda s, n, c: on_sni(s, n, c, log)
    threads = []
    for a in addrs:
        family = socket.AF_INET6 if ":" in a else socket.AF_INET
        lsock = socket.socket(family, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((a, port))
        lsock.listen(MAX_CONNECTIONS)
        t = threading.Thread(target=accept_loop, args=(lsock, ctx, log), daemon=True)
        t.start()
        threads.append(t)
    log_line(log, "listening " + " ".join(addrs))
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
