#!/usr/bin/env python3
"""Writes the bench's 30,000-file tree into DIR: 300 directories of 100 small files (0-4 KiB hex text)."""
import os
import random
import sys

random.seed(5)
for i in range(30000):
    d = os.path.join(sys.argv[1], f"d{i // 100:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.txt"), "wb") as f:
        f.write(os.urandom(random.randint(0, 2048)).hex().encode())
