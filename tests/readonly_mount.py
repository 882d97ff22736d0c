"""`python tests/readonly_mount.py DIR -- ARGV...`: in a mount namespace of its own (run it
under `unshare --mount`), bind DIR over itself read-only, then exec ARGV: a process that
sees DIR as a read-only mount (a NAS share mounted ro), whoever it runs as."""
import os
import subprocess
import sys

folder, argv = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
subprocess.run(["mount", "--make-rprivate", "/"], check=True)
subprocess.run(["mount", "--bind", "-o", "ro", folder, folder], check=True)
os.execv(argv[0], argv)
