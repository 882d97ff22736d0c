"""Export, backup and cleanup on real files, with real ffmpeg and real rclone (local backend)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from director_tui.cli import app as cli_app
from director_tui.core import archive, queue, review
from director_tui.core.models import Asset, Segment, Version
from director_tui.media.ffmpeg import probe
from tests.conftest import PY, run_tasks, segs

needs_rclone = pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone not installed (.ci/run installs it)")



def cli(home, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli_app, ["--home", str(home), *args])


def run_cli(home: Path, *args: str, **kw) -> subprocess.Popen:  # type: ignore[no-untyped-def,type-arg]
    return subprocess.Popen([PY, "-m", "director_tui", "--home", str(home), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.fixture
def cut_ready(store, home, make_stream):  # type: ignore[no-untyped-def]
    """3 segments (one titled like a path and with emoji), keyframes and clips approved, and
    segment 1 with a second, rejected keyframe."""
    from tests.conftest import spec_dict

    data = spec_dict(3)
    data["segments"][1]["title"] = "../../etc/passwd 🎬"
    stream = make_stream(data)
    with store.write() as s:
        queue.queue_missing_keyframes(s, stream.id, "tester")
    run_tasks(store, home, stream.id)
    ids = [x.id for x in segs(store)]
    with store.write() as s:
        review.reject(s, ids[0], Asset.KEYFRAME, "tester")
        queue.enqueue(s, ids[0], Asset.KEYFRAME, "tester", regenerate=True)
    run_tasks(store, home, stream.id)
    with store.write() as s:
        for seg_id in ids:
            review.approve(s, seg_id, Asset.KEYFRAME, "tester", queue_video=True)
    run_tasks(store, home, stream.id)
    with store.write() as s:
        for seg_id in ids:
            review.approve(s, seg_id, Asset.VIDEO, "tester")
    return stream


def test_keyframes_zip_names_stay_inside_and_hold_the_files(store, home, cut_ready, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "kf.zip"
    r = cli(home, "export", "film", "keyframes", "-o", str(out))
    assert r.exit_code == 0 and "(3 files)" in r.output, r.output
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert names == ["001-Shot-1.png", "002-etc-passwd.png", "003-Shot-3.png"]
        with store.read() as s:
            seg2 = s.execute(select(Segment).where(Segment.position == 2)).scalar_one()
            v = s.get(Version, seg2.keyframe_version_id)
            assert zf.read("002-etc-passwd.png") == (home / "media" / v.path).read_bytes()
    r = cli(home, "export", "film", "keyframes", "--all-versions", "-o", str(tmp_path / "all.zip"))
    assert r.exit_code == 0
    with zipfile.ZipFile(tmp_path / "all.zip") as zf:
        assert zf.namelist()[:2] == ["001-Shot-1/v001.png", "001-Shot-1/v002-approved.png"]
        assert all(not n.startswith(("/", "..")) and ".." not in n.split("/") for n in zf.namelist())
    assert not list(tmp_path.glob(".*partial"))


def test_spec_round_trip_and_final_cut(store, home, cut_ready, tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "film.json"
    assert cli(home, "export", "film", "spec", "-o", str(spec)).exit_code == 0
    data = json.loads(spec.read_text())
    data["stream"] = "film-again"
    spec.write_text(json.dumps(data))
    assert cli(home, "import", str(spec)).exit_code == 0
    a = json.loads(cli(home, "export-spec", "film").output)
    b = json.loads(cli(home, "export-spec", "film-again").output)
    assert {**a, "stream": "x"} == {**b, "stream": "x"}
    cut = tmp_path / "cut.mp4"
    r = cli(home, "export", "film", "cut", "-o", str(cut))
    assert r.exit_code == 0, r.output
    info = probe(cut)
    assert info.kind == "video" and (info.width, info.height) == (320, 180)
    assert info.duration is not None and abs(info.duration - 3 * 0.5) < 0.15  # three 0.5 s clips
    r = cli(home, "export", "film-again", "cut", "-o", str(tmp_path / "none.mp4"))
    assert r.exit_code == 1 and "no approved video for segment(s) 1, 2, 3" in r.output
    kinds = [e["summary"] for e in json.loads(cli(home, "activity", "film", "--kind", "export", "--json").output)]
    assert kinds[0].startswith("exported cut to") and kinds[1].startswith("exported spec to")


def _db_counts(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM version").fetchone()[0], conn.execute(
            "SELECT count(*) FROM activity").fetchone()[0]
    finally:
        conn.close()


@needs_rclone
def test_backup_to_a_folder_and_to_an_rclone_remote(store, home, cut_ready, tmp_path) -> None:  # type: ignore[no-untyped-def]
    media = archive.media_files(home)
    for dest in (str(tmp_path / "folder"), f":local:{tmp_path / 'remote'}"):
        r = cli(home, "export", "film", "backup", "-o", dest)
        assert r.exit_code == 0, r.output
        root = next((tmp_path / ("folder" if "folder" in dest else "remote")).iterdir())
        versions, _ = _db_counts(root / "director.db")
        assert versions == 3 + 1 + 3
        for f in media:
            copy = root / "media" / f.relative_to(home / "media")
            assert archive.sha256_of(copy) == archive.sha256_of(f)
        assert not (root / "media" / ".cache").exists()


@needs_rclone
def test_cleanup_archives_with_checksums_and_restores(store, home, cut_ready, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dest = f":local:{tmp_path / 'arch'}"
    r = cli(home, "cleanup", "film", "--keep", "0", "--dry-run")
    assert r.exit_code == 0 and "would archive 1 version to" in r.output  # only the rejected v1
    assert "keeping 6 versions (3 keyframes, 3 videos)" in r.output  # approved ones, per asset
    r = cli(home, "cleanup", "film", "--keep", "0", "--archive", dest)
    assert r.exit_code == 0, r.output
    with store.read() as s:
        old = s.execute(select(Version).where(Version.decision == "rejected")).scalar_one()
        kept = s.execute(select(Version).where(Version.archive_location.is_(None))).scalars().all()  # type: ignore[union-attr]
    assert old.archive_location == f"{dest}/{old.path}"
    assert not (home / "media" / old.path).exists()
    assert archive.sha256_of(tmp_path / "arch" / old.path) == old.checksum
    assert len(kept) == 6 and all((home / "media" / v.path).exists() for v in kept)
    r = cli(home, "restore", "film", "1", "1")
    assert r.exit_code == 0 and (home / "media" / old.path).exists() and r.output.startswith("restored ")
    assert archive.sha256_of(home / "media" / old.path) == old.checksum
    assert "is in the workspace already" in cli(home, "restore", "film", "1", "1").output
    assert cli(home, "cleanup", "film", "--keep", "-1").exit_code == 2  # bad input (issue 25)


def _many_versions(store, home: Path, film_id: int, n: int, size: int) -> None:  # type: ignore[no-untyped-def]
    """n extra keyframe versions of segment 1 (real files of `size` bytes, real rows)."""
    seg = segs(store)[0]
    with store.write() as s:
        for i in range(n):
            rel = f"film/s{seg.position:05d}/keyframe-v{100 + i:03d}.png"
            path = home / "media" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(size))
            s.add(Version(segment_id=seg.id, asset="keyframe", number=100 + i, path=rel, prompt="p", seed=i,
                          size_bytes=size, checksum=archive.sha256_of(path)))


@needs_rclone
def test_cleanup_killed_half_way_loses_nothing_and_finishes(store, home, film, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _many_versions(store, home, film.id, 40, 200_000)
    arch = tmp_path / "arch"
    proc = run_cli(home, "cleanup", "film", "--keep", "1", "--archive", f":local:{arch}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(arch.rglob("*.png"))) < 3:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with store.read() as s:
        versions = s.execute(select(Version)).scalars().all()
    moved = [v for v in versions if v.archive_location]
    assert 0 < len(moved) < 39, "the kill should land half way"
    for v in versions:  # every version is somewhere, intact
        local = home / "media" / v.path
        if local.exists():
            assert archive.sha256_of(local) == v.checksum or not v.checksum
        else:
            assert v.archive_location and archive.sha256_of(arch / v.path) == v.checksum
    r = cli(home, "cleanup", "film", "--keep", "1", "--archive", f":local:{arch}")
    assert r.exit_code == 0, r.output
    with store.read() as s:
        left = [v for v in s.execute(select(Version)).scalars() if (home / "media" / v.path).exists()]
    assert sorted(v.number for v in left if v.segment_id == segs(store)[0].id) == [1, 139]


def test_export_killed_leaves_no_broken_zip(store, home, film, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _many_versions(store, home, film.id, 60, 2_000_000)
    out = tmp_path / "all.zip"
    proc = run_cli(home, "export", "film", "keyframes", "--all-versions", "-o", str(out))
    def written() -> int:  # the private partial file's size (its name is made at random)
        found = archive.partials_of(out)
        try:
            return found[0].stat().st_size if found else 0
        except FileNotFoundError:
            return 0

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and written() <= 4_000_000:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()  # only the partial file: nothing that looks finished but is not
    proc = run_cli(home, "export", "film", "keyframes", "--all-versions", "-o", str(out))
    assert proc.wait(timeout=120) == 0
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None and len(zf.namelist()) == 4 + 60
