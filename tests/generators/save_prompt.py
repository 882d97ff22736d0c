#!/usr/bin/env python3
"""A second instance saving a prompt: save_prompt.py HOME SEGMENT_ID FIELD TEXT (exits 0 when saved)."""
import sys
from pathlib import Path

from director_tui.core import prompts
from director_tui.core.store import open_store

home, segment_id, field, text = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
store = open_store(home)
with store.write() as s:
    prompts.save_prompt(s, segment_id, field, text, "colleague", expected=None)
store.dispose()
