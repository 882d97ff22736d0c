#!/usr/bin/env python3
"""Writes an output of --mb megabytes (sparse: costs no disk) that starts like a PNG."""
import sys

args = sys.argv[1:]
with open(args[args.index("--out") + 1], "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n")
    f.truncate(int(args[args.index("--mb") + 1]) << 20)
