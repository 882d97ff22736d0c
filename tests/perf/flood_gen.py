"""A generator that floods: 2,000 PROGRESS lines a second for --seconds, then a tiny PNG."""

import sys
import time

args = sys.argv[1:]
out, seconds = args[args.index("--out") + 1], float(args[args.index("--seconds") + 1])
src = args[args.index("--src") + 1]
total = int(2000 * seconds)
t0 = time.monotonic()
for i in range(total):
    print(f"PROGRESS {100 * i / total:.1f} frame {i}/{total}")
    if i % 20 == 19:  # 20 lines every 10 ms
        sys.stdout.flush()
        delay = t0 + (i + 1) / 2000 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
sys.stdout.flush()
with open(src, "rb") as f, open(out, "wb") as g:
    g.write(f.read())
