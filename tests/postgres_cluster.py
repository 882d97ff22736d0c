"""A throwaway PostgreSQL cluster for the tests: initdb as an unprivileged user (never root,
which initdb refuses), listening only on a unix socket in a temp folder, gone at the end.
Skipped with the reason only where no server binary exists; never in CI (`.ci/run` installs
them, and CI=true turns a missing server into a failure)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def server_bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


@contextmanager
def throwaway_cluster(root: Path) -> Iterator[str]:
    """Yields a SQLAlchemy URL (psycopg 3) to the cluster's `postgres` database."""
    bins = server_bin_dir()
    if bins is None:
        raise FileNotFoundError("no PostgreSQL server binaries (initdb) on this machine")
    data, sock = root / "data", root / "sock"
    sock.mkdir(parents=True)
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb will not run as root: the cluster belongs to nobody
        as_user = ["runuser", "-u", "nobody", "--"]
        shutil.chown(root, "nobody")
        shutil.chown(sock, "nobody")
        os.chmod(root, 0o755)
    log = root / "server.log"
    subprocess.run(as_user + [str(bins / "initdb"), "-D", str(data), "-U", "director", "--auth=trust",
                              "-E", "UTF8", "--no-sync", "--locale=C"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if as_user:
        log.touch()
        shutil.chown(log, "nobody")
    subprocess.run(as_user + [str(bins / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
                              f"-k {sock} -c listen_addresses='' -c fsync=off -c full_page_writes=off", "start"],
                   check=True, stdout=subprocess.DEVNULL)
    try:
        yield f"postgresql+psycopg://director@/postgres?host={sock}"
    finally:
        subprocess.run(as_user + [str(bins / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
