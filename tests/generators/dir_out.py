#!/usr/bin/env python3
"""Makes a folder where its output file should be."""
import os
import sys

os.mkdir(sys.argv[sys.argv.index("--out") + 1])
