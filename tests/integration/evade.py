#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A client that tries to get a name past a gateway inspector with crafted traffic, one trick
per subcommand. The real bytes are sent by the kernel's TCP stack (so retransmissions are
genuine); fakes are written with raw sockets at the sequence numbers the kernel socket uses,
learned with TCP_REPAIR. The server decides what was sent: a fake is built so that the server
discards it, and the trick works when the server answers the real (listed) name.

  evade.py TRICK ADDR NAME [--decoy NAME] [--port N] [--source ADDR] [--timeout S] ...

NAME is the name the client really wants, DECOY the innocent name of the fakes. Each run prints
one line: "ok <what the server answered>" (exit 0), or "reset", "timeout", "closed",
"unreachable", "refused", "error <why>" (exit 1). Tricks:

  hello            a plain TLS ClientHello (reference)
  fake-ttl         fake hello at the real hello's sequence number, TTL/hop limit 2 (dies one
                   router after the gateway), then the real hello
  fake-noack       ... without the ACK flag
  fake-badsum      ... with a wrong TCP checksum
  fake-md5         ... with a TCP MD5 signature option (RFC 2385) the server has no key for
  fake-paws        ... with a TCP timestamp older than the last one (PAWS, RFC 7323 5)
  fake-ack-behind  ... acknowledging data far before what the server has sent
  fake-ack-ahead   ... acknowledging data the server never sent
  fake-seq-behind  ... at a sequence number far before the stream (out of the window)
  fake-seq-ahead   ... at a sequence number far ahead of the stream (out of the window)
  two-decoys       two TTL-limited fakes with different innocent names, then the real hello
  http-decoy       an unfinished "GET / HTTP/1.1\\r\\nHost: DECOY" fake, then the real hello
  dns-fake-ttl     DNS over TCP: a TTL-limited fake query for DECOY, then the real query
  second-syn       after the handshake a SYN numbered ahead of the stream, then the hello
  http-keepalive   HTTP: a request for DECOY, its answer, then a request for NAME
  http-pipelined   HTTP: both requests in one segment
  quic-decoy       QUIC: an Initial for DECOY with its own connection ID, then one for NAME
  quic             QUIC: one Initial for NAME (reference, and for the flood)
  urgent           TLS hello with one urgent (MSG_OOB) byte inside the name
  dns-pipeline     DNS over TCP: --count queries in one segment, the last one for NAME
  ipv6-exthdrs     a pure ACK behind 9 IPv6 destination options headers, then the hello
  ahead            one byte --ahead bytes past the end of the stream, then the hello
  big-hello        a hello longer than --min-hello bytes in one segment (long ALPN list)
  split            the hello in two segments, cut inside the name
  hold             --count connections, each with half a hello, kept open --seconds
  flood            DNS queries for NAME over UDP as fast as possible, --seconds / --count
  dns              DNS over UDP: one query for NAME (reference, and for the flood)
  dns-pointer      DNS over UDP: the question's name is NAME's first label and a pointer to
                   the rest of NAME, which is placed after the question
  dns-two-questions DNS over UDP: QDCOUNT 2, the parent of NAME, then NAME's first label and a
                   pointer to the first question's name
"""

import argparse
import hashlib
import hmac
import os
import random
import select
import socket
import ssl
import struct
import sys
import time

# ---- TCP and IP on the wire (RFC 791, 8200, 9293) ----

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK, TCP_URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
PROTO_TCP = 6
PROTO_DSTOPTS = 60

# linux/tcp.h
TCP_REPAIR = 19
TCP_REPAIR_QUEUE = 20
TCP_QUEUE_SEQ = 21
TCP_TIMESTAMP = 24
TCP_RECV_QUEUE = 1
TCP_SEND_QUEUE = 2
TCP_REPAIR_ON = 1
TCP_REPAIR_OFF_NO_WP = -1  # leave repair mode without sending a window probe

# Pause between a fake and the real segment, so that they cross the gateway in that order.
GAP_S = 0.01


def inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pseudo_header(src, dst, proto, length):
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!I3xB", length, proto)


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload=b"", options=b"",
                window=502, urg=0, bad_checksum=False):
    """A TCP header (options padded with NOPs to a multiple of 4) and payload, checksummed."""
    options += b"\x01" * (-len(options) % 4)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (20 + len(options)) // 4 << 4, flags, window, 0, urg) + options
    csum = inet_checksum(pseudo_header(src, dst, PROTO_TCP, len(hdr) + len(payload)) + hdr +
                         payload)
    if bad_checksum:
        csum ^= 0x5A5A
    return hdr[:16] + struct.pack("!H", csum) + hdr[18:] + payload


def ip_packet(src, dst, proto, l4, ttl=64, dstopts=0):
    """IPv4 or IPv6 (by address length) around `l4`; IPv6 may carry `dstopts` destination
    options headers (each 8 bytes of padding) before it."""
    if len(src) == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), random.getrandbits(16), 0,
                          ttl, proto, 0, src, dst)
        return hdr[:10] + struct.pack("!H", inet_checksum(hdr)) + hdr[12:] + l4
    ext = b""
    for i in range(dstopts):
        nxt = PROTO_DSTOPTS if i + 1 < dstopts else proto
        ext += struct.pack("!BBBB4x", nxt, 0, 1, 4)  # PadN, 4 bytes of zeros
    first = PROTO_DSTOPTS if dstopts else proto
    hdr = struct.pack("!IHBB16s16s", 6 << 28, len(ext) + len(l4), first, ttl, src, dst)
    return hdr + ext + l4


def raw_send(family, dst, packet):
    """Send a whole IP packet (header included) with a raw socket."""
    s = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_RAW)
    try:
        s.sendto(packet, (dst, 0))
    finally:
        s.close()


# ---- a kernel TCP connection and fakes in its sequence space ----


class Conn:
    """A kernel TCP connection with what a fake needs: addresses, ports and the next sequence
    numbers in both directions, read from the socket in repair mode."""

    def __init__(self, args, port=None):
        self.family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
        self.sock = socket.socket(self.family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(args.timeout)
        if args.source:
            self.sock.bind((args.source, 0))
        self.sock.connect((args.addr, port or args.port))
        here, there = self.sock.getsockname(), self.sock.getpeername()
        self.src = socket.inet_pton(self.family, here[0])
        self.dst = socket.inet_pton(self.family, there[0])
        self.dst_text = there[0]
        self.sport, self.dport = here[1], there[1]
        self.snd_nxt, self.rcv_nxt, self.ts_now = self.repair_read()

    def repair_read(self):
        s = self.sock
        s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_ON)
        try:
            s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)
            snd = struct.unpack("I", s.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ, 4))[0]
            s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE)
            rcv = struct.unpack("I", s.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ, 4))[0]
        finally:
            s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP)
        ts = struct.unpack("I", s.getsockopt(socket.IPPROTO_TCP, TCP_TIMESTAMP, 4))[0]
        return snd, rcv, ts

    def raw(self, payload=b"", flags=TCP_ACK | TCP_PSH, seq_delta=0, ack_delta=0, ttl=64,
            options=b"", bad_checksum=False, dstopts=0):
        """Write one segment of this connection with a raw socket, past the kernel."""
        seg = tcp_segment(self.src, self.dst, self.sport, self.dport,
                          self.snd_nxt + seq_delta, self.rcv_nxt + ack_delta, flags, payload,
                          options, bad_checksum=bad_checksum)
        raw_send(self.family, self.dst_text, ip_packet(self.src, self.dst, PROTO_TCP, seg, ttl,
                                                       dstopts))
        time.sleep(GAP_S)


def opt_timestamp(tsval, tsecr=0):
    return struct.pack("!BBBBII", 1, 1, 8, 10, tsval & 0xFFFFFFFF, tsecr)


def opt_md5():
    # Any digest will do: the server has no key. From `random`, so that a seeded run repeats.
    return struct.pack("!BB", 19, 18) + random.randbytes(16)


# How each fake is made to be one the server discards ("fooling"), as keyword arguments of
# Conn.raw; the TTL of 2 reaches one router past the gateway (the lab drops TTL 1 there).
FOOLING = {
    "ttl": lambda c: {"ttl": 2},
    "noack": lambda c: {"flags": TCP_PSH},
    "badsum": lambda c: {"bad_checksum": True},
    "md5": lambda c: {"options": opt_md5()},
    # PAWS: a timestamp far older than the one the server last saw is discarded.
    "paws": lambda c: {"options": opt_timestamp(c.ts_now - 0x10000000)},
    # An ACK below SND.UNA - MAX.SND.WND, or above SND.NXT, is not acceptable (RFC 5961 5.2):
    # the server discards the segment.
    "ack-behind": lambda c: {"ack_delta": -0x10000000},
    "ack-ahead": lambda c: {"ack_delta": 0x10000000},
    # Out of the receive window (RFC 9293 3.10.7.4): discarded.
    "seq-behind": lambda c: {"seq_delta": -0x10000000},
    "seq-ahead": lambda c: {"seq_delta": 0x10000000},
}


# ---- TLS through Python's ssl: real hellos, real handshakes ----


def name_cut(hello, name):
    """An offset in the middle of the server_name `name` in `hello`."""
    return hello.find(name.encode()) + len(name) // 2


class Tls:
    """A TLS client on memory buffers: its ClientHello is available before anything is sent,
    so that the caller can put it on the wire as it likes, then finish() completes the
    handshake over the socket and sends "GET /"."""

    contexts = {}

    def __init__(self, name, alpn=None):
        # One context per ALPN list: making a context is what costs time, and the holder of
        # hundreds of connections makes hundreds of hellos.
        key = tuple(alpn or ())
        ctx = Tls.contexts.get(key)
        if ctx is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            if alpn:
                ctx.set_alpn_protocols(alpn)
            Tls.contexts[key] = ctx
        self.name = name
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.out, server_hostname=name)
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        self.hello = self.out.read()

    def name_cut(self):
        return name_cut(self.hello, self.name)

    def finish(self, sock):
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                pending = self.out.read()
                if pending:
                    sock.sendall(pending)
                data = sock.recv(65536)
                if not data:
                    return "closed"
                self.inc.write(data)
        self.tls.write(f"GET / HTTP/1.1\r\nHost: {self.name}\r\nConnection: close\r\n\r\n"
                       .encode())
        sock.sendall(self.out.read())
        buf = b""
        while b"\r\n" not in buf:
            data = sock.recv(65536)
            if not data:
                break
            self.inc.write(data)
            try:
                buf += self.tls.read(65536)
            except ssl.SSLWantReadError:
                continue
        return "ok " + buf.split(b"\r\n")[0].decode(errors="replace") if buf else "closed"


class TrickError(Exception):
    """The trick could not be set up as asked; reported as "error <why>"."""


def send_whole(c, tls):
    c.sock.sendall(tls.hello)


def send_split(c, tls):
    """The hello in two writes (two segments), cut inside the name."""
    cut = tls.name_cut()
    c.sock.sendall(tls.hello[:cut])
    time.sleep(GAP_S * 2)
    c.sock.sendall(tls.hello[cut:])


def send_urgent(c, tls):
    """The hello with one byte of urgent data inside the name. The server's TCP takes the byte
    out of the stream (its SO_OOBINLINE is off), so it reads the hello as it was made."""
    cut = tls.name_cut()
    c.sock.sendall(tls.hello[:cut])
    time.sleep(GAP_S)
    c.sock.send(b"X", socket.MSG_OOB)
    time.sleep(GAP_S)
    c.sock.sendall(tls.hello[cut:])


def tls_run(args, before=None, send=send_whole, alpn=None):
    """Connect, run before(conn) (fakes and other packets written past the kernel), put the
    real hello on the wire with send(conn, tls), then finish the handshake and ask for /."""
    c = Conn(args)
    tls = Tls(args.name, alpn=alpn)
    if before is not None:
        before(c)
    send(c, tls)
    return tls.finish(c.sock)


def fakes_first(fakes, fooling="ttl"):
    """A `before` that writes each fake (bytes) at the real hello's sequence number."""
    def before(c):
        for fake in fakes:
            c.raw(fake, **FOOLING[fooling](c))
    return before


def trick_hello(args):
    return tls_run(args)


def trick_fake(method):
    return lambda args: tls_run(args, fakes_first([Tls(args.decoy).hello], method))


def trick_two_decoys(args):
    decoys = [Tls(args.decoy).hello, Tls("www." + args.decoy).hello]
    return tls_run(args, fakes_first(decoys))


def trick_http_decoy(args):
    return tls_run(args, fakes_first([f"GET / HTTP/1.1\r\nHost: {args.decoy}".encode()]))


def trick_second_syn(args):
    # A SYN on the same ports, numbered well ahead of the stream; the server answers it with a
    # challenge ACK (RFC 5961 4) and keeps the connection.
    return tls_run(args, lambda c: c.raw(flags=TCP_SYN, seq_delta=100000))


def trick_urgent(args):
    return tls_run(args, send=send_urgent)


def trick_ipv6_exthdrs(args):
    if ":" not in args.addr:
        raise TrickError("needs an IPv6 address")
    return tls_run(args, lambda c: c.raw(flags=TCP_ACK, dstopts=9))


def trick_ahead(args):
    return tls_run(args, lambda c: c.raw(b"x", seq_delta=args.ahead))


def long_alpn(min_len):
    """Protocol names of 250 bytes each, more than `min_len` bytes in all: they make the ALPN
    extension, and the hello, long; a server ignores protocols it does not know."""
    return [f"p{i:02d}".ljust(250, "x") for i in range(min_len // 250 + 1)]


def trick_big_hello(args):
    alpn = long_alpn(args.min_hello)

    def send_long(c, tls):
        if len(tls.hello) <= args.min_hello:
            raise TrickError(f"hello only {len(tls.hello)} bytes")
        send_whole(c, tls)
    return tls_run(args, send=send_long, alpn=alpn)


def trick_split(args):
    return tls_run(args, send=send_split)


def trick_hold(args):
    """Open --count connections, each with the first half of a hello (cut inside the name),
    print "holding N" and keep them open for --seconds."""
    conns = []
    deadline = time.monotonic() + args.seconds
    for i in range(args.count):
        try:
            c = Conn(args)
            tls = Tls(f"h{i}.{args.name}")
            c.sock.sendall(tls.hello[:tls.name_cut()])
            conns.append(c)
        except OSError:
            break
        if time.monotonic() > deadline:
            break
    print(f"holding {len(conns)}", flush=True)
    time.sleep(max(0.0, deadline - time.monotonic()))
    for c in conns:
        c.sock.close()
    return f"ok held {len(conns)}" if len(conns) == args.count else f"error held {len(conns)}"


# ---- HTTP/1.1 ----


def http_request(host, close):
    conn = "close" if close else "keep-alive"
    return f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: evade\r\nConnection: {conn}\r\n\r\n"


class HttpReader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def response(self):
        """The status line of the next response, after reading its body (Content-Length)."""
        while b"\r\n\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode(errors="replace").split("\r\n")
        length = 0
        for line in lines[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-length":
                length = int(value)
        while len(self.buf) < length:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        self.buf = self.buf[length:]
        return lines[0]


def trick_http(args, pipelined):
    c = Conn(args)
    first, second = http_request(args.decoy, False), http_request(args.name, True)
    r = HttpReader(c.sock)
    if pipelined:
        c.sock.sendall((first + second).encode())
        answers = [r.response(), r.response()]
    else:
        c.sock.sendall(first.encode())
        answers = [r.response()]
        if answers[0] is not None:
            c.sock.sendall(second.encode())
            answers.append(r.response())
    if len(answers) < 2 or answers[1] is None:
        return "closed" + (f" after {answers[0]}" if answers[0] else "")
    return f"ok {answers[1]}"


# ---- DNS (RFC 1035) ----


def dns_name(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"


def dns_query(qid, name, qtype=1):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_name(name) + \
        struct.pack("!HH", qtype, 1)


RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def dns_skip_name(msg, pos):
    while pos < len(msg):
        n = msg[pos]
        if n == 0:
            return pos + 1
        if n >= 0xC0:
            return pos + 2
        pos += 1 + n
    return len(msg)


def dns_summary(msg):
    """'RCODE addr...' of a response: the rcode and the A/AAAA addresses of its answers."""
    qd, an = struct.unpack("!HH", msg[4:8])
    pos = 12
    for _ in range(qd):
        pos = dns_skip_name(msg, pos) + 4
    addrs = []
    for _ in range(an):
        pos = dns_skip_name(msg, pos)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[pos:pos + 10])
        rdata = msg[pos + 10:pos + 10 + rdlen]
        if rtype == 1 and rdlen == 4:
            addrs.append(socket.inet_ntop(socket.AF_INET, rdata))
        elif rtype == 28 and rdlen == 16:
            addrs.append(socket.inet_ntop(socket.AF_INET6, rdata))
        pos += 10 + rdlen
    return " ".join([RCODES.get(msg[3] & 15, str(msg[3] & 15))] + addrs)


def dns_udp(args, msg):
    family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(args.timeout)
    if args.source:
        s.bind((args.source, 0))
    s.connect((args.addr, 53))
    t0 = time.monotonic()
    s.send(msg)
    while True:
        data = s.recv(4096)
        if data[:2] == msg[:2]:
            return f"ok {dns_summary(data)} in {(time.monotonic() - t0) * 1000:.0f} ms"


def trick_dns(args):
    return dns_udp(args, dns_query(random.getrandbits(16), args.name))


def dns_pointer_query(qid, name):
    """A query whose question is the first label of `name` and a pointer to the rest, which is
    put after the question (a forward pointer: RFC 1035 4.1.4 means prior occurrences, but
    servers follow it)."""
    first, _, rest = name.partition(".")
    question_end = 12 + 1 + len(first) + 2 + 4
    q = bytes([len(first)]) + first.encode() + struct.pack("!HHH", 0xC000 | question_end, 1, 1)
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + dns_name(rest)


def dns_two_questions_query(qid, name):
    """QDCOUNT 2: question 1 is the parent of `name`; question 2 is its first label and a
    pointer to the first question's name."""
    first, _, rest = name.partition(".")
    q1 = dns_name(rest) + struct.pack("!HH", 1, 1)
    q2 = bytes([len(first)]) + first.encode() + struct.pack("!HHH", 0xC000 | 12, 1, 1)
    return struct.pack("!HHHHHH", qid, 0x0100, 2, 0, 0, 0) + q1 + q2


def trick_dns_pointer(args):
    return dns_udp(args, dns_pointer_query(random.getrandbits(16), args.name))


def trick_dns_two_questions(args):
    return dns_udp(args, dns_two_questions_query(random.getrandbits(16), args.name))


def dns_tcp_exchange(c, queries, want_id):
    """Read length-prefixed responses until the one with `want_id`; returns its summary."""
    buf, seen = b"", 0
    while True:
        while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
            data = c.sock.recv(65536)
            if not data:
                return f"closed after {seen} answers"
            buf += data
        n = struct.unpack("!H", buf[:2])[0]
        msg, buf = buf[2:2 + n], buf[2 + n:]
        seen += 1
        if msg[:2] == struct.pack("!H", want_id):
            return f"ok {dns_summary(msg)} ({seen}/{queries} answers)"


def tcp_framed(msg):
    return struct.pack("!H", len(msg)) + msg


def trick_dns_fake_ttl(args):
    c = Conn(args, port=53)
    real = tcp_framed(dns_query(0x5151, args.name))
    c.raw(tcp_framed(dns_query(0x5151, args.decoy)), ttl=2)
    c.sock.sendall(real)
    return dns_tcp_exchange(c, 1, 0x5151)


def dns_pipeline(count, decoy, name):
    """`count` length-prefixed queries back to back (IDs 0x100 on), the last one for `name`,
    the others for `decoy`."""
    msgs = [tcp_framed(dns_query(0x100 + i, decoy)) for i in range(count - 1)]
    msgs.append(tcp_framed(dns_query(0x100 + count - 1, name)))
    return b"".join(msgs)


def trick_dns_pipeline(args):
    c = Conn(args, port=53)
    c.sock.sendall(dns_pipeline(args.count, args.decoy, args.name))
    return dns_tcp_exchange(c, args.count, 0x100 + args.count - 1)


class Batch:
    """sendmmsg(2) of FLOOD_BATCH prepared datagrams on a connected socket: one system call per
    batch, so that the sender is bound by the kernel's work rather than by Python's."""

    def __init__(self, sock, datagrams):
        import ctypes

        class Iovec(ctypes.Structure):
            _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

        class Msghdr(ctypes.Structure):
            _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint),
                        ("iov", ctypes.POINTER(Iovec)), ("iovlen", ctypes.c_size_t),
                        ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                        ("flags", ctypes.c_int)]

        class Mmsghdr(ctypes.Structure):
            _fields_ = [("hdr", Msghdr), ("len", ctypes.c_uint)]

        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = sock.fileno()
        self.n = len(datagrams)
        self.bufs = [ctypes.create_string_buffer(d, len(d)) for d in datagrams]
        self.iovs = (Iovec * self.n)(*[Iovec(ctypes.cast(b, ctypes.c_void_p), len(d))
                                       for b, d in zip(self.bufs, datagrams)])
        self.msgs = (Mmsghdr * self.n)()
        for i in range(self.n):
            self.msgs[i].hdr.iov = ctypes.pointer(self.iovs[i])
            self.msgs[i].hdr.iovlen = 1

    def send(self):
        """Datagrams sent (0 when the socket refused them for now)."""
        return max(0, self.libc.sendmmsg(self.fd, self.msgs, self.n, 0))


FLOOD_BATCH = 64


def trick_flood(args):
    family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    if args.source:
        s.bind((args.source, 0))
    s.connect((args.addr, 53))
    batch = Batch(s, [dns_query(i, args.name) for i in range(FLOOD_BATCH)])
    sent = 0
    t0 = time.monotonic()
    deadline = t0 + args.seconds
    while sent < args.count and time.monotonic() < deadline:
        sent += batch.send()
    t = time.monotonic() - t0
    return f"ok sent {sent} in {t:.1f} s ({sent / t:.0f}/s)"


# ---- QUIC v1 Initial packets (RFC 9000 17.2.2, RFC 9001 5) ----

QUIC_V1 = 1
QUIC_V1_SALT = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")


def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand_label(secret, label, length):
    """HKDF-Expand-Label of TLS 1.3 (RFC 8446 7.1) with an empty context; length <= 32."""
    full = b"tls13 " + label.encode()
    info = struct.pack("!HB", length, len(full)) + full + b"\0"
    return hmac.new(secret, info + b"\x01", hashlib.sha256).digest()[:length]


def quic_keys(dcid, side):
    """(key, iv, hp) of the client's ("client in") or server's ("server in") Initials."""
    secret = hkdf_expand_label(hkdf_extract(QUIC_V1_SALT, dcid), side, 32)
    return (hkdf_expand_label(secret, "quic key", 16), hkdf_expand_label(secret, "quic iv", 12),
            hkdf_expand_label(secret, "quic hp", 16))


def varint(v):
    if v < 0x40:
        return bytes([v])
    if v < 0x4000:
        return struct.pack("!H", 0x4000 | v)
    return struct.pack("!I", 0x80000000 | v)


def read_varint(b, pos):
    n = 1 << (b[pos] >> 6)
    v = b[pos] & 0x3F
    for i in range(1, n):
        v = v << 8 | b[pos + i]
    return v, pos + n


def tls_ext(kind, body):
    return struct.pack("!HH", kind, len(body)) + body


def tls_client_hello(name, alpn=("h3",), extensions=b"", rand=None, share=None):
    """A TLS 1.3 ClientHello handshake message (RFC 8446 4.1.2): SNI, x25519 key share, ALPN
    `alpn`, then `extensions` (encoded). `rand` (32 bytes) and `share` (the x25519 public
    key) are fresh unless given."""
    if share is None:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        share = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw,
                                                                       PublicFormat.Raw)
    sni = name.encode()
    protos = b"".join(bytes([len(p)]) + p.encode() for p in alpn)
    exts = b"".join([
        tls_ext(0, struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni),
        tls_ext(10, struct.pack("!HHH", 4, 0x001D, 0x0017)),
        tls_ext(13, struct.pack("!H6H", 12, 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501)),
        tls_ext(16, struct.pack("!H", len(protos)) + protos),
        tls_ext(43, b"\x02\x03\x04"),
        tls_ext(51, struct.pack("!HHH", 36, 0x001D, 32) + share),
    ]) + extensions
    body = b"\x03\x03" + (rand or os.urandom(32)) + b"\x00" + \
        struct.pack("!HHHH", 6, 0x1301, 0x1302, 0x1303) + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    return b"\x01" + struct.pack("!I", len(body))[1:] + body


def quic_client_hello(name, scid, rand=None, share=None):
    """A TLS 1.3 ClientHello for QUIC (RFC 9001 8): SNI, ALPN h3, x25519 key share and the
    transport parameters (RFC 9000 18.2) a server needs to answer."""
    tp = b""
    for pid, value in ((0x0F, scid), (0x01, varint(30000)), (0x04, varint(1 << 20)),
                       (0x05, varint(1 << 18)), (0x06, varint(1 << 18)),
                       (0x07, varint(1 << 18)), (0x08, varint(100)), (0x09, varint(100))):
        tp += varint(pid) + varint(len(value)) + value
    return tls_client_hello(name, ("h3",), tls_ext(0x39, tp), rand, share)


def quic_initial(dcid, scid, crypto, pn=0, side="client in", odcid=None):
    """A client Initial carrying `crypto` at offset 0, padded to 1200 bytes, protected; with
    side "server in", the server's Initial answering the client's first one, whose
    Destination Connection ID `odcid` gives the keys."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key, iv, hp = quic_keys(odcid or dcid, side)
    frames = b"\x06" + varint(0) + varint(len(crypto)) + crypto
    pn_len = 2
    head = bytes([0xC0 | (pn_len - 1)]) + struct.pack("!I", QUIC_V1) + \
        bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid + varint(0)
    pad = 1200 - (len(head) + 2 + pn_len + len(frames) + 16)
    frames += b"\0" * max(0, pad)
    head += struct.pack("!H", 0x4000 | (pn_len + len(frames) + 16))
    pn_bytes = struct.pack("!H", pn)
    nonce = bytes(a ^ b for a, b in zip(iv, bytes(10) + pn_bytes))
    sealed = AESGCM(key).encrypt(nonce, frames, head + pn_bytes)
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(sealed[4 - pn_len:4 - pn_len + 16])
    first = bytes([head[0] ^ (mask[0] & 0x0F)])
    return first + head[1:] + bytes(a ^ b for a, b in zip(pn_bytes, mask[1:1 + pn_len])) + sealed


def quic_server_initial(dgram, dcid, scid):
    """What a server datagram says about our Initial (original `dcid`, our `scid`): None when
    it is not an Initial for us, else "server-hello" (a CRYPTO frame opening with a
    ServerHello), "connection-close 0xCODE" or "initial"."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(dgram) < 7 or dgram[0] & 0xF0 != 0xC0 or dgram[1:5] != struct.pack("!I", QUIC_V1):
        return None
    pos = 5
    d = dgram[pos + 1:pos + 1 + dgram[pos]]
    pos += 1 + dgram[pos]
    pos += 1 + dgram[pos]
    if d != scid:
        return None
    token_len, pos = read_varint(dgram, pos)
    length, pos = read_varint(dgram, pos + token_len)
    key, iv, hp = quic_keys(dcid, "server in")
    mask = Cipher(algorithms.AES(hp), modes.ECB()).encryptor().update(dgram[pos + 4:pos + 20])
    first = dgram[0] ^ (mask[0] & 0x0F)
    pn_len = (first & 3) + 1
    pn_bytes = bytes(a ^ b for a, b in zip(dgram[pos:pos + pn_len], mask[1:1 + pn_len]))
    head = bytes([first]) + dgram[1:pos] + pn_bytes
    nonce = bytes(a ^ b for a, b in zip(iv, bytes(12 - pn_len) + pn_bytes))
    try:
        plain = AESGCM(key).decrypt(nonce, dgram[pos + pn_len:pos + length], head)
    except Exception:  # noqa: BLE001 - an undecryptable packet is no answer to us
        return None
    i = 0
    while i < len(plain):
        ftype = plain[i]
        if ftype == 0x00 or ftype == 0x01:  # PADDING, PING
            i += 1
        elif ftype in (0x02, 0x03):  # ACK
            i += 1
            _, i = read_varint(plain, i)
            _, i = read_varint(plain, i)
            count, i = read_varint(plain, i)
            _, i = read_varint(plain, i)
            for _ in range(2 * count):
                _, i = read_varint(plain, i)
            if ftype == 0x03:
                for _ in range(3):
                    _, i = read_varint(plain, i)
        elif ftype == 0x06:  # CRYPTO
            off, i = read_varint(plain, i + 1)
            n, i = read_varint(plain, i)
            if off == 0 and n > 0 and plain[i] == 0x02:
                return "server-hello"
            i += n
        elif ftype in (0x1C, 0x1D):
            code, _ = read_varint(plain, i + 1)
            return f"connection-close 0x{code:x}"
        else:
            break
    return "initial"


def quic_try(s, name, timeout):
    """Send one Initial for `name` on socket `s`; wait for the server's answer to it."""
    dcid, scid = os.urandom(8), os.urandom(8)
    s.send(quic_initial(dcid, scid, quic_client_hello(name, scid)))
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            return "timeout"
        try:
            data = s.recv(65536)
        except ConnectionRefusedError:
            return "unreachable"
        what = quic_server_initial(data, dcid, scid)
        if what == "server-hello":
            return "ok server-hello"
        if what is not None:
            return what


def quic_socket(args):
    family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    if args.source:
        s.bind((args.source, 0))
    s.connect((args.addr, args.port))
    return s


def trick_quic(args):
    return quic_try(quic_socket(args), args.name, args.timeout)


def trick_quic_decoy(args):
    s = quic_socket(args)
    # The decoy's answer is awaited so that its connection exists before the real Initial.
    first = quic_try(s, args.decoy, args.timeout)
    if not first.startswith("ok"):
        return f"error decoy: {first}"
    return quic_try(s, args.name, args.timeout)


# ---- command line ----

TRICKS = {
    "hello": trick_hello,
    "fake-ttl": trick_fake("ttl"),
    "fake-noack": trick_fake("noack"),
    "fake-badsum": trick_fake("badsum"),
    "fake-md5": trick_fake("md5"),
    "fake-paws": trick_fake("paws"),
    "fake-ack-behind": trick_fake("ack-behind"),
    "fake-ack-ahead": trick_fake("ack-ahead"),
    "fake-seq-behind": trick_fake("seq-behind"),
    "fake-seq-ahead": trick_fake("seq-ahead"),
    "two-decoys": trick_two_decoys,
    "http-decoy": trick_http_decoy,
    "dns-fake-ttl": trick_dns_fake_ttl,
    "second-syn": trick_second_syn,
    "http-keepalive": lambda a: trick_http(a, False),
    "http-pipelined": lambda a: trick_http(a, True),
    "quic-decoy": trick_quic_decoy,
    "quic": trick_quic,
    "urgent": trick_urgent,
    "dns-pipeline": trick_dns_pipeline,
    "ipv6-exthdrs": trick_ipv6_exthdrs,
    "ahead": trick_ahead,
    "big-hello": trick_big_hello,
    "split": trick_split,
    "hold": trick_hold,
    "flood": trick_flood,
    "dns": trick_dns,
    "dns-pointer": trick_dns_pointer,
    "dns-two-questions": trick_dns_two_questions,
}

DEFAULT_PORT = {"http-keepalive": 80, "http-pipelined": 80}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trick", choices=sorted(TRICKS))
    ap.add_argument("addr")
    ap.add_argument("name")
    ap.add_argument("--decoy", default="example.org")
    ap.add_argument("--port", type=int)
    ap.add_argument("--source")
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--count", type=int, default=33)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--ahead", type=int, default=20480)
    ap.add_argument("--min-hello", type=int, default=4096)
    args = ap.parse_args()
    if args.port is None:
        args.port = DEFAULT_PORT.get(args.trick, 443)
    try:
        result = TRICKS[args.trick](args)
    except ConnectionResetError:
        result = "reset"
    except (socket.timeout, TimeoutError):
        result = "timeout"
    except ConnectionRefusedError:
        result = "refused"
    except TrickError as e:
        result = f"error {e}"
    except (ssl.SSLError, OSError) as e:
        result = f"error {e}"
    print(result, flush=True)
    return 0 if result.startswith("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
