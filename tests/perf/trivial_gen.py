"""A trivial generator for the runner benchmark: prints progress, copies a tiny PNG to --out."""

import sys

args = sys.argv[1:]
src, out = args[args.index("--src") + 1], args[args.index("--out") + 1]
print("PROGRESS 50 copying", flush=True)
with open(src, "rb") as f, open(out, "wb") as g:
    g.write(f.read())
print("PROGRESS 100 done", flush=True)
