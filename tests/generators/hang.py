#!/usr/bin/env python3
"""Prints progress, then sleeps far past any timeout; optionally ignores SIGTERM."""
import signal
import sys
import time

if "--ignore-term" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("PROGRESS 5 warming up", flush=True)
time.sleep(3600)
