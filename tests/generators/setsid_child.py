#!/usr/bin/env python3
"""Writes its output and exits 0, leaving a grandchild that called setsid() (its own session
and process group, as a daemon or a server a generator starts does) and closed the output
pipe: the group kill cannot reach it. Its pid goes to --pidfile."""
import os
import sys
import time

from PIL import Image

args = sys.argv[1:]
read_end, write_end = os.pipe()
if os.fork() == 0:
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.write(write_end, str(os.getpid()).encode())
    os.close(write_end)
    time.sleep(3600)
    os._exit(0)
os.close(write_end)
pid = os.read(read_end, 32).decode()
open(args[args.index("--pidfile") + 1], "w").write(pid)
Image.new("RGB", (16, 9), (1, 2, 3)).save(args[args.index("--out") + 1], format="PNG")
print("PROGRESS 100 done", flush=True)
