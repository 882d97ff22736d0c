#!/usr/bin/env python3
"""Writes its output and exits 0, leaving a child that holds stdout open for an hour
(its pid in --pidfile); the runner must not wait for the pipe to close."""
import os
import sys
import time

from PIL import Image

args = sys.argv[1:]
pid = os.fork()
if pid == 0:
    time.sleep(3600)
    os._exit(0)
open(args[args.index("--pidfile") + 1], "w").write(str(pid))
Image.new("RGB", (16, 9), (1, 2, 3)).save(args[args.index("--out") + 1], format="PNG")
print("PROGRESS 100 done", flush=True)
