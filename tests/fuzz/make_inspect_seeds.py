#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write seed inputs for fuzz_inspect: packet sequences built here (DNS, split TLS hello,
split HTTP request, IPv6) in the record format fuzz_inspect.c reads."""
import os
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "inspect")


def csum_free_ipv4(proto, payload, l4):
    tot = 20 + len(l4) + len(payload)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 1, 0, 64, proto, 0,
                       bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + l4 + payload


def ipv6(proto, payload, l4):
    return struct.pack("!IHBB16s16s", 0x60000000, len(l4) + len(payload), proto, 64,
                       b"\xfd" + b"\0" * 14 + b"\1", b"\xfd" + b"\0" * 14 + b"\2") + l4 + payload


def udp(dport, payload):
    return struct.pack("!HHHH", 40000, dport, 8 + len(payload), 0)


def tcp(dport, seq, flags=0x18):
    return struct.pack("!HHIIBBHHH", 40000, dport, seq, 0, 0x50, flags, 65535, 0, 0)


def dns_query(name, qtype=1):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    body = b"\x03\x03" + b"\x5a" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    body += struct.pack("!H", len(sni_ext)) + sni_ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def record(pkt, flags=0):
    return struct.pack("!HB", len(pkt), flags) + pkt


def write(name, recs):
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"".join(recs))


os.makedirs(out, exist_ok=True)
q = dns_query("upd.kaspersky.com")
write("dns-udp", [record(csum_free_ipv4(17, q, udp(53, q)), 2)])
hello = client_hello("dnl-01.geo.kaspersky.com")
recs = [record(csum_free_ipv4(6, b"", tcp(443, 999, 0x02)))]
for off in range(0, len(hello), 40):
    piece = hello[off:off + 40]
    recs.append(record(csum_free_ipv4(6, piece, tcp(443, 1000 + off)), 2 | 4))
write("tls-split", recs)
recs = [record(csum_free_ipv4(6, b"", tcp(443, 999, 0x02)))]
for off in reversed(range(0, len(hello), 64)):
    piece = hello[off:off + 64]
    recs.append(record(ipv6(6, piece, tcp(443, 1000 + off)), 2))
write("tls-reverse-v6", recs)
req = b"GET /x HTTP/1.1\r\nHost: upd.kaspersky.com:80\r\nAccept: */*\r\n\r\n"
write("http-split", [record(csum_free_ipv4(6, req[:20], tcp(80, 5000))),
                     record(csum_free_ipv4(6, req[20:], tcp(80, 5020)), 2 | 0x80)])
msgs = b"".join(struct.pack("!H", len(m)) + m for m in (dns_query("a.example"), dns_query("b.example")))
write("dns-tcp", [record(csum_free_ipv4(6, msgs[:30], tcp(53, 7000))),
                  record(csum_free_ipv4(6, msgs[30:], tcp(53, 7030)))])


# DNS answers: what they teach is judged by later packets of the same input.
def ipv4_from(src, dst, proto, payload, l4):
    tot = 20 + len(l4) + len(payload)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 1, 0, 64, proto, 0, bytes(src),
                       bytes(dst)) + l4 + payload


def udp_from(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)


def wire(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def rr(owner, kind, rdata):
    return (b"\xc0\x0c" if owner is None else wire(owner)) + struct.pack("!HHIH", kind, 1, 60,
                                                                          len(rdata)) + rdata


def response(qname, qtype, answers):
    return struct.pack("!HHHHHH", 0x1234, 0x8180, 1, len(answers), 0, 0) + wire(qname) + \
        struct.pack("!HH", qtype, 1) + b"".join(answers)


def ech_param(public):
    c = bytes([7]) + struct.pack("!HH", 0x20, 32) + b"B" * 32 + struct.pack("!HHH", 4, 1, 1)
    c += b"\0" + bytes([len(public)]) + public.encode() + b"\0\0"
    e = struct.pack("!HH", 0xfe0d, len(c)) + c
    v = struct.pack("!H", len(e)) + e
    return struct.pack("!HH", 5, len(v)) + v


SERVER, CLIENT = [10, 0, 0, 2], [10, 0, 0, 1]
cloak = response("cloak.example.org", 1, [rr(None, 5, wire("upd.kaspersky.com")),
                                          rr("upd.kaspersky.com", 1, bytes(SERVER))])
nb = b"\x03\x03" + b"\x5a" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
nh = b"\x01" + struct.pack("!I", len(nb))[1:] + nb
no_sni = b"\x16\x03\x01" + struct.pack("!H", len(nh)) + nh
write("dns-answer-cloak", [
    record(ipv4_from(SERVER, CLIENT, 17, cloak, udp_from(53, 40000, cloak)), 2),
    record(csum_free_ipv4(6, b"", tcp(443, 999, 0x02))),
    record(csum_free_ipv4(6, no_sni, tcp(443, 1000)), 2),
    record(csum_free_ipv4(6, b"", tcp(22, 4999, 0x02)))])
https = response("svc.kaspersky.com", 65, [rr(None, 65, b"\x00\x01\x00" + ech_param("front.example"))])
hello = client_hello("front.example")
write("dns-answer-https-ech", [
    record(ipv4_from(SERVER, CLIENT, 17, https, udp_from(53, 40000, https)), 2),
    record(csum_free_ipv4(6, b"", tcp(443, 999, 0x02))),
    record(csum_free_ipv4(6, hello, tcp(443, 1000)), 2)])
framed = struct.pack("!H", len(cloak)) + cloak
write("dns-tcp-answer", [
    record(csum_free_ipv4(6, b"", tcp(53, 6999, 0x02))),
    record(ipv4_from(SERVER, CLIENT, 6, b"", struct.pack("!HHIIBBHHH", 53, 40000, 89999, 7000,
                                                          0x50, 0x12, 65535, 0, 0))),
    record(ipv4_from(SERVER, CLIENT, 6, framed[:40], struct.pack("!HHIIBBHHH", 53, 40000, 90000,
                                                                  7000, 0x50, 0x18, 65535, 0, 0))),
    record(ipv4_from(SERVER, CLIENT, 6, framed[40:], struct.pack("!HHIIBBHHH", 53, 40000,
                                                                  90040, 7000, 0x50, 0x18,
                                                                  65535, 0, 0)))])
