#!/usr/bin/env python3
"""MB allocated on the Java heap by one run, from its -Xlog:gc,gc+heap+exit log.

Each collection line says the heap in use before and after it ("Pause Young ... 45M->12M(96M)"); what was
allocated between two collections is the growth from the previous "after" to this "before". At exit, the
heap summary's used sizes add what was allocated after the last collection. Objects made directly in the
old generation (pretenured arrays) count too, since these are whole-heap figures.
"""
import re
import sys

UNITS = {"K": 1 / 1024, "M": 1, "G": 1024}
allocated = 0.0
after = 0.0
exit_used = 0.0
for line in open(sys.argv[1]):
    m = re.search(r"Pause \w+.*? (\d+)([KMG])->(\d+)([KMG])\(", line)
    if m:
        before_mb = int(m.group(1)) * UNITS[m.group(2)]
        allocated += max(0.0, before_mb - after)
        after = int(m.group(3)) * UNITS[m.group(4)]
        continue
    m = re.search(r"(generation|space)\s+total \d+K, used (\d+)K", line)
    if m and "gc,heap,exit" in line and ("def new generation" in line or "tenured generation" in line):
        exit_used += int(m.group(2)) / 1024
allocated += max(0.0, exit_used - after)
print(f"{allocated:.0f}")
