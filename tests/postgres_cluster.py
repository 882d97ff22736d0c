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


PASSWORD_ROLE, PASSWORD = "studio", "s3cret-Pw"  # a role that logs in with a password


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """A new database `name` on the cluster `admin_url` points into (dropped first if it
    exists; a copy of `template` if given); its URL."""
    from sqlalchemy import create_engine

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    finally:
        admin.dispose()
    return admin_url.replace("/postgres?", f"/{name}?")


def drop_database(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.dispose()


class Cluster:
    """A throwaway cluster a test can also stop and start (a server going away and back)."""

    def __init__(self, root: Path) -> None:
        bins = server_bin_dir()
        if bins is None:
            raise FileNotFoundError("no PostgreSQL server binaries (initdb) on this machine")
        self.bins, self.root = bins, root
        self.data, self.sock, self.log = root / "data", root / "sock", root / "server.log"
        self.as_user: list[str] = []
        self.url = f"postgresql+psycopg://director@/postgres?host={self.sock}"

    def create(self) -> None:
        root, sock, data = self.root, self.sock, self.data
        sock.mkdir(parents=True)
        if os.geteuid() == 0:  # initdb will not run as root: the cluster belongs to nobody
            self.as_user = ["runuser", "-u", "nobody", "--"]
            shutil.chown(root, "nobody")
            shutil.chown(sock, "nobody")
            os.chmod(root, 0o755)
        subprocess.run(self.as_user + [str(self.bins / "initdb"), "-D", str(data), "-U", "director", "--auth=trust",
                                       "-E", "UTF8", "--no-sync", "--locale=C"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # one role that must give its password (the rest: trust), for the wrong-credentials tests
        hba = data / "pg_hba.conf"
        hba.write_text(f"local all {PASSWORD_ROLE} scram-sha-256\n" + hba.read_text())
        if self.as_user:
            self.log.touch()
            shutil.chown(self.log, "nobody")
        self.start()
        subprocess.run(self.as_user + [str(self.bins / "psql"), "-h", str(sock), "-U", "director", "-d", "postgres",
                                       "-q", "-c", f"CREATE ROLE {PASSWORD_ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'"],
                       check=True, stdout=subprocess.DEVNULL)

    def start(self) -> None:
        subprocess.run(self.as_user + [str(self.bins / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                                       "-t", "60", "-o", f"-k {self.sock} -c listen_addresses='' -c fsync=off "
                                       "-c full_page_writes=off", "start"],
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(self.as_user + [str(self.bins / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def throwaway_cluster(root: Path) -> Iterator[str]:
    """Yields a SQLAlchemy URL (psycopg 3) to the cluster's `postgres` database."""
    with running_cluster(root) as cluster:
        yield cluster.url


@contextmanager
def running_cluster(root: Path) -> Iterator[Cluster]:
    cluster = Cluster(root)
    cluster.create()
    try:
        yield cluster
    finally:
        cluster.stop("immediate")
