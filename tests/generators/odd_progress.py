#!/usr/bin/env python3
"""Prints progress lines no parser should choke on (nested JSON, huge, NaN), then a valid image."""
import sys

from PIL import Image

print('{"progress": ' + "[" * 20_000 + "]" * 20_000 + "}", flush=True)
print('{"progress": NaN, "message": "' + "x" * 50_000 + '"}', flush=True)
print("PROGRESS " + "9" * 3000 + " very", flush=True)
print("\x1b]52;c;aGk=\x07 not a terminal command", flush=True)
print("PROGRESS 50 half", flush=True)
Image.new("RGB", (16, 9), (1, 2, 3)).save(sys.argv[sys.argv.index("--out") + 1], format="PNG")
