#!/usr/bin/env python3
"""Writes `<segment> <pid> start` to the --ledger file (appending: many workers share it),
sleeps --sleep seconds, writes a small valid PNG to --out, then `<segment> <pid> done`:
which worker ran which segment, and whether any ran twice."""
import os
import sys
import time

from PIL import Image

args = sys.argv[1:]


def arg(name: str) -> str:
    return args[args.index(name) + 1]


def note(what: str) -> None:
    fd = os.open(arg("--ledger"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(fd, f"{arg('--segment')} {os.getpid()} {what}\n".encode())
    os.close(fd)


note("start")
print("PROGRESS 10 started", flush=True)
time.sleep(float(arg("--sleep")))
Image.new("RGB", (16, 9), (1, 2, 3)).save(arg("--out"), format="PNG")
note("done")
print("PROGRESS 100 done", flush=True)
