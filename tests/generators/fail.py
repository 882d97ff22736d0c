#!/usr/bin/env python3
"""Prints a little and exits non-zero, like a generator that ran out of memory."""
import sys

print("PROGRESS 10 loading model", flush=True)
print("Traceback (most recent call last):", file=sys.stderr)
print("RuntimeError: CUDA out of memory", file=sys.stderr, flush=True)
sys.exit(3)
