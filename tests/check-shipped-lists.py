#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks on the shipped vendor files (conf/blocklist.d/*.conf):
- every entry line carries a trailing comment naming its source(s);
- no entry falls in a shared CDN or public-cloud zone (they serve unrelated customers);
- when the vendor research is present (../shared/vendors/endpoints.tsv), every researched
  pattern is shipped in its vendor's file under its category.
Prints one line per problem and a summary; exit status 1 when there is a problem.

    check-shipped-lists.py SOURCE_ROOT
"""
import csv
import os
import re
import sys

# Zones shared by unrelated customers: no shipped entry may lie inside one.
SHARED = ["edgekey.net", "akamaiedge.net", "akamai.net", "akamaized.net", "cloudfront.net",
          "amazonaws.com", "azureedge.net", "myhuaweicloud.com", "huaweicloud.com",
          "hihonorcloud.com", "events.mapbox.com", "googleapis.com", "gstatic.com",
          "cloudflare.net", "fastly.net", "aliyuncs.com"]
KEYWORDS = {"vendor", "name", "reason", "action", "category", "allow", "import", "}"}


def entries(path):
    """(line number, category, entry, comment) for each entry of a vendor file."""
    category = None
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            code, _, comment = raw.partition("#")
            words = code.replace("{", " { ").replace("}", " } ").split()
            if not words:
                continue
            if words[0] == "category" and "{" in words:
                category = words[1]
                continue
            if words[0] == "}":
                category = None if category else category
                continue
            if words[0] in KEYWORDS and words[0] != "allow":
                continue
            for w in words[1:] if words[0] == "allow" else words:
                if "." in w or "*" in w:
                    yield n, category, w, comment.strip()


def main():
    top = sys.argv[1]
    ddir = os.path.join(top, "conf", "blocklist.d")
    problems = 0
    shipped = {}
    count = 0
    for fn in sorted(os.listdir(ddir)):
        if not fn.endswith(".conf"):
            continue
        vendor = fn[:-5]
        for n, cat, e, comment in entries(os.path.join(ddir, fn)):
            count += 1
            where = f"{fn}:{n}: {e}"
            if not comment:
                print(f"no source comment: {where}")
                problems += 1
            bare = e[2:] if e.startswith("*.") else e
            for z in SHARED:
                if bare == z or bare.endswith("." + z):
                    print(f"shared zone {z}: {where}")
                    problems += 1
            shipped.setdefault(vendor, set()).add((cat, e))
    tsv = os.path.join(top, "..", "shared", "vendors", "endpoints.tsv")
    researched = 0
    if os.path.exists(tsv):
        with open(tsv, encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                researched += 1
                if (row["category"], row["pattern"]) not in shipped.get(row["vendor"], set()):
                    print(f"researched but not shipped: {row['vendor']} {row['category']} "
                          f"{row['pattern']}")
                    problems += 1
        extra = f"; all {researched} researched patterns shipped" if problems == 0 else ""
    else:
        extra = "; vendor research absent, not compared"
    print(f"{count} shipped entries in {len(shipped)} files, {problems} problem(s){extra}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
