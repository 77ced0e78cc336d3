#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Slow control clients for the stress tests: N connections to embargod's control socket, each
sending a valid request ("text status\\n") one byte per second. When the daemon closes one, its
reply is kept and the client connects again, until SECONDS have passed. Prints one JSON object:
connections made, the distinct first lines of the replies, and how many connections never got
one.

    slow_ctl.py SOCKET N SECONDS
"""
import json
import select
import socket
import sys
import time

REQUEST = b"text status\n"


def main():
    path, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    end = time.monotonic() + seconds
    clients = {}  # socket -> {"sent": bytes sent, "reply": bytes received}
    stats = {"connections": 0, "replies": {}, "no_reply": 0, "connect_errors": 0}

    def connect():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except OSError:
            stats["connect_errors"] += 1
            s.close()
            return
        s.setblocking(False)
        clients[s] = {"sent": 0, "reply": b""}
        stats["connections"] += 1

    def closed(s):
        c = clients.pop(s)
        s.close()
        if c["reply"]:
            line = c["reply"].split(b"\n")[0].decode(errors="replace")
            stats["replies"][line] = stats["replies"].get(line, 0) + 1
        else:
            stats["no_reply"] += 1

    for _ in range(n):
        connect()
    next_byte = time.monotonic()
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_byte:
            next_byte += 1.0
            for s, c in list(clients.items()):
                if c["sent"] < len(REQUEST) - 1:  # never the newline: always incomplete
                    try:
                        s.send(REQUEST[c["sent"]:c["sent"] + 1])
                        c["sent"] += 1
                    except OSError:
                        pass
        ready, _, _ = select.select(list(clients), [], [], max(0.0, min(next_byte, end) - now))
        for s in ready:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                clients[s]["reply"] += data
                continue
            closed(s)
            connect()
    for s in list(clients):
        s.close()
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
