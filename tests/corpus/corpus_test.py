#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Corpus test: replay every capture of the shared corpus with `embargod --replay FILE --names`
and check that the names the manifest expects are extracted (and, with --strict, that nothing
beyond the expected and the allowed extra names is).

Usage: corpus_test.py EMBARGOD CORPUS_DIR [--kinds tls,dns,...] [--strict]
       corpus_test.py EMBARGOD CORPUS_DIR --same-as-native [--config FILE]
The second form checks a cross build: every capture must give, byte for byte, the output that
the native embargod named by EMBARGO_NATIVE_EMBARGOD gives (the names, and with --config the
decisions under that configuration).
EMBARGOD runs under the command in MESON_EXE_WRAPPER when meson sets it (a cross build's
exe_wrapper, qemu-user). Exit status 77 (skip) when CORPUS_DIR has no manifest.tsv, or
--same-as-native is given without EMBARGO_NATIVE_EMBARGOD."""

import argparse
import csv
import os
import shlex
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


def run_replay(cmd, path, extra):
    """(exit status, stdout, stderr) of `cmd --replay path extra...`."""
    proc = subprocess.run(cmd + ["--replay", path] + extra,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def same_as_native(cmd, native, rows, corpus, config):
    """Every capture's replay output from `cmd` equals the native binary's."""
    modes = [["--names"]] + ([["-c", config]] if config else [])
    passed = failed = 0
    for row in rows:
        path = os.path.join(corpus, "pcap", row["file"])
        diffs = []
        for extra in modes:
            got = run_replay(cmd, path, extra)
            want = run_replay([native], path, extra)
            if got[:2] != want[:2]:
                lines = set(got[1].splitlines()) ^ set(want[1].splitlines())
                diffs.append(f"{' '.join(extra)}: exit {got[0]} (native {want[0]}), "
                             f"{len(lines)} line(s) differ, e.g. {sorted(lines)[:2]}")
        if diffs:
            print(f"FAIL {row['file']}: " + "; ".join(diffs))
            failed += 1
        else:
            passed += 1
    print(f"same as native: {passed} of {len(rows)} captures, modes "
          f"{', '.join(' '.join(m) for m in modes)}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("embargod")
    ap.add_argument("corpus")
    ap.add_argument("--kinds", default="tls,dns,dns-tcp,http,quic,gquic")
    ap.add_argument("--strict", action="store_true",
                    help="also fail on names outside expected + extra")
    ap.add_argument("--same-as-native", action="store_true",
                    help="compare with the embargod in EMBARGO_NATIVE_EMBARGOD instead")
    ap.add_argument("--config", help="--same-as-native: also compare decisions under FILE")
    args = ap.parse_args()
    cmd = shlex.split(os.environ.get("MESON_EXE_WRAPPER", "")) + [args.embargod]
    manifest = os.path.join(args.corpus, "manifest.tsv")
    if not os.path.isfile(manifest):
        print(f"SKIP: no corpus at {args.corpus}")
        return 77
    if args.same_as_native:
        native = os.environ.get("EMBARGO_NATIVE_EMBARGOD", "")
        if not native:
            print("SKIP: EMBARGO_NATIVE_EMBARGOD names no native embargod to compare with")
            return 77
        with open(manifest, newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        return same_as_native(cmd, native, rows, args.corpus, args.config)
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
        rc, out, err = run_replay(cmd, path, ["--names"])
        if rc not in (0, 1):
            print(f"FAIL {row['file']}: embargod exited {rc}: {err.strip()[:200]}")
            failed += 1
            continue
        got = set()
        for line in out.splitlines():
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
