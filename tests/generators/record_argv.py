#!/usr/bin/env python3
"""Writes its argv (as JSON) next to the output, then a small valid PNG."""
import json
import sys
from pathlib import Path

from PIL import Image

args = sys.argv[1:]
out = Path(args[args.index("--out") + 1])
record = Path(args[args.index("--record") + 1])
record.write_text(json.dumps(args, ensure_ascii=False), encoding="utf-8")
print("PROGRESS 50 recording", flush=True)
Image.new("RGB", (64, 36), (10, 20, 30)).save(out, format="PNG")
