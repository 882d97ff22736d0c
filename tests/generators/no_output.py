#!/usr/bin/env python3
"""Exits 0 without writing its output."""
print("PROGRESS 100 done (but wrote nothing)", flush=True)
