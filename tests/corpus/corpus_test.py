#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Corpus test: replay every capture of the shared corpus with `embargod --replay FILE --names`
and check that the names the manifest expects are extracted (and, with --strict, that nothing
beyond the expected and the allowed extra names is).

Usage: corpus_test.py EMBARGOD CORPUS_DIR [--kinds tls,dns,...] [--strict]
Exit status 77 (skip) when CORPUS_DIR has no manifest.tsv."""

import argparse
import csv
import os
import subprocess
import sys


def parse_names(field):
    """'tls:a.com,dns:b.org' -> {('tls', 'a.com'), ...}; '-' -> empty set. Names compare
    case-insensitively, so they are lower-cased here."""
    out = set()
    if field in ("", "-"):
        return out
    for item in field.split(","):
        item = item.strip()
        if ":" not in item or item.endswith("..."):
            continue
        kind, name = item.split(":", 1)
        out.add((kind, name.lower()))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("embargod")
    ap.add_argument("corpus")
    ap.add_argument("--kinds", default="tls,dns,dns-tcp,http,quic,gquic")
    ap.add_argument("--strict", action="store_true",
                    help="also fail on names outside expected + extra")
    args = ap.parse_args()
    manifest = os.path.join(args.corpus, "manifest.tsv")
    if not os.path.isfile(manifest):
        print(f"SKIP: no corpus at {args.corpus}")
        return 77
    kinds = set(args.kinds.split(","))
    # dns-resp names are never extracted (responses are not inspected); they only excuse.
    passed = failed = 0
    want_total = got_total = 0
    with open(manifest, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for row in rows:
        path = os.path.join(args.corpus, "pcap", row["file"])
        expected = {n for n in parse_names(row["expected_names"]) if n[0] in kinds}
        extra = parse_names(row["extra_names"])
        # The manifest abbreviates long lists with "...": the peer's full list excuses the rest.
        abbreviated = row["expected_names"].endswith("...")
        proc = subprocess.run([args.embargod, "--replay", path, "--names"],
                              capture_output=True, text=True, timeout=120)
        if proc.returncode not in (0, 1):
            print(f"FAIL {row['file']}: embargod exited {proc.returncode}: "
                  f"{proc.stderr.strip()[:200]}")
            failed += 1
            continue
        got = set()
        for line in proc.stdout.splitlines():
            if ":" in line and not line.startswith("#"):
                kind, name = line.split(":", 1)
                got.add((kind, name.lower()))
        got = {n for n in got if n[0] in kinds}
        missing = expected - got
        unexpected = got - expected - extra
        if abbreviated:
            peer = {(k, n.lower()) for k in kinds for n in row["peer_names"].split(",")}
            unexpected -= peer
        want_total += len(expected)
        got_total += len(expected) - len(missing)
        problems = []
        if missing:
            problems.append("missing " + ",".join(sorted(f"{k}:{n}" for k, n in missing)))
        if unexpected:
            problems.append("unexpected " + ",".join(sorted(f"{k}:{n}" for k, n in unexpected)))
        if missing or (args.strict and unexpected):
            print(f"FAIL {row['file']}: " + "; ".join(problems))
            failed += 1
        else:
            note = f" (note: {problems[0]})" if problems else ""
            print(f"ok   {row['file']}: {len(expected)} expected name(s) found{note}")
            passed += 1
    rate = 100.0 * got_total / want_total if want_total else 100.0
    print(f"match rate: {got_total}/{want_total} expected names ({rate:.1f}%) "
          f"over {len(rows)} captures, kinds {','.join(sorted(kinds))}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
