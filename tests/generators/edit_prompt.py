#!/usr/bin/env python3
"""A stand-in $EDITOR: rewrites the file it is given as a person would (appends words),
keeping the trailing newline editors add. Usage: edit_prompt.py FILE"""
import sys
from pathlib import Path

path = Path(sys.argv[-1])
text = path.read_text(encoding="utf-8").rstrip("\n")
path.write_text(text + ", edited in vim; \"quoted\" $(x) 🌧\n", encoding="utf-8")
