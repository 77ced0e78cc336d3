#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A paced DNS client for the stress tests: sends RATE queries per second for SECONDS over UDP,
alternating a listed name and an unlisted one (each name distinct, so every blocked query is a
new alert), from SOCKETS sockets in turn, bound to the SOURCES addresses in turn when given (a
queue range spreads packets by address), and counts the answers: NXDOMAIN expected for the
listed names (the daemon's forged answer), NOERROR for the others. Prints one JSON object.

    dns_flood.py SERVER RATE SECONDS TAG BLOCKED_SUFFIX ALLOWED_SUFFIX [SOURCES]
"""
import json
import select
import socket
import struct
import sys
import time

ANSWER_WAIT_S = 2.0  # after the last query, answers still counted for this long
SOCKETS = 8


def query(qid, name):
    q = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def take_answers(k, s, pending, counts, latencies):
    """Every answer waiting on socket number k."""
    while True:
        try:
            data = s.recv(4096)
        except (BlockingIOError, ConnectionRefusedError):
            return
        if len(data) < 12:
            continue
        qid, flags = struct.unpack("!HH", data[:4])
        entry = pending.pop((k, qid), None)
        if entry is None:
            continue
        listed, at = entry
        latencies.append(time.monotonic() - at)
        rcode = flags & 0xF
        if listed and rcode == 3:
            counts["blocked_nxdomain"] += 1
        elif not listed and rcode == 0:
            counts["allowed_noerror"] += 1
        else:
            counts["wrong_answer"] += 1


def main():
    server, rate, seconds, tag, blocked, allowed = sys.argv[1:7]
    sources = sys.argv[7].split(",") if len(sys.argv) > 7 else []
    rate, seconds = int(rate), float(seconds)
    total = int(rate * seconds)
    socks = []
    for i in range(SOCKETS):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        if sources:
            s.bind((sources[i % len(sources)], 0))
        s.setblocking(False)
        s.connect((server, 53))
        socks.append(s)
    pending = {}  # (socket number, id) -> (listed, sent at)
    counts = {"sent_blocked": 0, "sent_allowed": 0, "blocked_nxdomain": 0,
              "allowed_noerror": 0, "wrong_answer": 0, "send_errors": 0}
    latencies = []
    t0 = time.monotonic()
    sent = 0
    end = None
    while True:
        now = time.monotonic()
        while sent < total and t0 + sent / rate <= now:
            listed = sent % 2 == 0
            name = "%s%d.%s" % (tag, sent, blocked if listed else allowed)
            k, qid = sent % SOCKETS, (sent // SOCKETS) & 0xFFFF
            try:
                socks[k].send(query(qid, name))
                pending[(k, qid)] = (listed, now)
                counts["sent_blocked" if listed else "sent_allowed"] += 1
            except OSError:
                counts["send_errors"] += 1
            sent += 1
        if sent == total and end is None:
            end = now + ANSWER_WAIT_S
        if end is not None and (now >= end or not pending):
            break
        for k, s in enumerate(socks):
            take_answers(k, s, pending, counts, latencies)
        wait = (t0 + sent / rate - time.monotonic()) if sent < total else 0.01
        select.select(socks, [], [], max(0.0, min(wait, 0.01)))
    latencies.sort()
    counts["unanswered"] = len(pending)
    counts["unanswered_blocked"] = sum(1 for listed, _ in pending.values() if listed)
    counts["unanswered_allowed"] = counts["unanswered"] - counts["unanswered_blocked"]
    counts["seconds"] = round(time.monotonic() - t0, 2)
    counts["p99_ms"] = round(1000 * latencies[int(len(latencies) * 0.99)], 1) if latencies else -1
    counts["max_ms"] = round(1000 * latencies[-1], 1) if latencies else -1
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
