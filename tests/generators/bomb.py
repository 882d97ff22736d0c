#!/usr/bin/env python3
"""A decompression bomb: a small PNG file that claims 12,000 x 12,000 pixels."""
import sys

from PIL import Image

Image.new("1", (12_000, 12_000)).save(sys.argv[sys.argv.index("--out") + 1], format="PNG")
