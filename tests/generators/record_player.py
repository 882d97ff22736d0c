#!/usr/bin/env python3
"""A stand-in player: appends its argv as a JSON line to $PLAYER_RECORD."""
import json
import os
import sys

with open(os.environ["PLAYER_RECORD"], "a", encoding="utf-8") as f:
    f.write(json.dumps(sys.argv[1:]) + "\n")
