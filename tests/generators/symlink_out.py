#!/usr/bin/env python3
"""Hands over a symlink instead of a file: --out points at --target (a real image elsewhere)."""
import os
import sys

args = sys.argv[1:]
os.symlink(args[args.index("--target") + 1], args[args.index("--out") + 1])
