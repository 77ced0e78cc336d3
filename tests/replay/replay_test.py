#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Replays the captures of make_captures.py (written first into CAPTURES) through
`embargod --replay ... -b LIST` (LIST: kaspersky.com) and checks the decision lines:

  evasion  a line naming upd.kaspersky.com with action=reject; for QUIC also reply=quic-vn (the
           forged Version Negotiation), for DNS over UDP verdict=drop reply=dns (the query
           dropped and answered); over TCP, no line of the client's before it with
           action=allow or mark=allow (nothing the client sent first made an allow final);
  control  no action=reject line at all; a line with action=none verdict=accept naming the real
           name notkaspersky.com (or, when the packet carries several names, all allowed,
           counting them: names=N); for TLS and HTTP a later line of the server's packet
           that makes the allow final (reason=confirmed, mark=allow; HTTP mark=watch; QUIC: the
           server's answer).

One line per capture ("ok" or "FAIL", the title, the line that decided it or what was
missing), then "N passed, N failed". Exits 77 (skip) without scapy or python3-cryptography.
With --known, only the cases the daemon is known to get wrong (make_captures.CASES says what
it does), which fail until it is fixed.

  replay_test.py EMBARGOD [SOURCE_ROOT] [--captures DIR] [--only REGEX] [--known]
"""

import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def fields(line):
    """The key=value words of a decision line."""
    return dict(w.split("=", 1) for w in line.split() if "=" in w)


def has(f, **want):
    return all(f.get(k.replace("_", "-")) == v for k, v in want.items())


def hosts(line):
    """The addresses of a decision line's source and destination ("A:port", "[A6]:port")."""
    words = line.split()
    return {w.rsplit(":", 1)[0].strip("[]") for w in words[2:5:2]}


def judge(case, control, lines, listed, unlisted, client):
    """(ok, why): what the replay's lines say against what the case must show; `client`: the
    addresses of the client whose real name it is."""
    kind = case.kind
    parsed = [(line, fields(line)) for line in lines]
    if not control:
        want = {"name": listed, "action": "reject"}
        if kind == "quic":
            want["reply"] = "quic-vn"
        elif kind == "dns":
            want.update(verdict="drop", reply="dns")
        for line, f in parsed:
            if has(f, **want):
                return True, line
            if kind in ("tls", "http", "dns-tcp") and hosts(line) & client and \
                    "allow" in (f.get("action"), f.get("mark")):
                return False, "allowed before any reject: " + line
        return False, "no line with " + " ".join(f"{k}={v}" for k, v in want.items())
    for line, f in parsed:
        if f.get("action") == "reject":
            return False, "control rejected: " + line
    # The replay names the first of several allowed names and counts them.
    named = {"name": unlisted} if case.names == 1 else {"names": str(case.names)}
    real = [i for i, (_, f) in enumerate(parsed)
            if has(f, action="none", verdict="accept", **named)]
    if not real:
        return False, "no line with " + " ".join(f"{k}={v}" for k, v in named.items()) + \
            " action=none verdict=accept"
    if kind in ("tls", "http", "quic"):
        mark = "watch" if kind == "http" else "allow"
        for line, f in parsed[real[-1] + 1:]:
            if has(f, reason="confirmed", mark=mark):
                return True, line
        return False, f"no reason=confirmed mark={mark} line after " + parsed[real[-1]][0]
    return True, parsed[real[-1]][0]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("embargod")
    ap.add_argument("source_root", nargs="?", default=os.path.join(HERE, "..", ".."))
    ap.add_argument("--captures", help="where the captures are written (default: a temporary "
                    "directory, removed afterwards)")
    ap.add_argument("--only", help="only the cases whose title matches")
    ap.add_argument("--known", action="store_true",
                    help="only the cases the daemon is known to get wrong")
    ap.add_argument("--no-quic", action="store_true",
                    help="skip the QUIC cases (a build without QUIC inspection)")
    args = ap.parse_args()
    for module, package in (("scapy", "python3-scapy"), ("cryptography",
                                                         "python3-cryptography")):
        try:
            __import__(module)
        except ImportError:
            print(f"SKIP: {package} missing")
            return 77
    sys.path.insert(0, os.path.join(args.source_root, "tests", "replay"))
    import make_captures as mc

    tmp = None
    outdir = args.captures
    if outdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="embargo-replay.")
        outdir = tmp.name
    written = mc.write_all(outdir, args.only, args.known)
    blocklist = os.path.join(outdir, "blocklist.txt")
    with open(blocklist, "w") as f:
        f.write(f"# replay test\n{mc.BLOCKLIST}\n")
    passed = failed = 0
    for case, path, control in written:
        if case.kind == "quic" and args.no_quic:
            continue
        run = subprocess.run([args.embargod, "--replay", path, "-b", blocklist],
                             capture_output=True, text=True, timeout=60)
        lines = [line for line in run.stdout.splitlines() if line and not line.startswith("#")]
        if run.returncode != 0:
            ok, why = False, f"embargod exited {run.returncode}: {run.stderr.strip()}"
        else:
            ok, why = judge(case, control, lines, mc.LISTED, mc.UNLISTED,
                            {mc.CLIENT4, mc.CLIENT6})
        what = "control" if control else "evasion"
        print(f"{'ok  ' if ok else 'FAIL'} {case.title}: {what}: {why}")
        if not ok and case.known:
            print(f"     known: {case.known}")
        if not ok:
            print(f"     {os.path.basename(path)}, the replay printed:")
            for line in lines or ["(no decision line)"]:
                print("       " + line)
        passed += ok
        failed += not ok
    if tmp is not None:
        tmp.cleanup()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
