"""A studio's shared store (issue 17), as its people use it: `director-tui` processes
against a real PostgreSQL server (tests/postgres_cluster.py): init-store, migrate-store,
what each failure says, render workers on one queue with one of them killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from director_tui.core.models import Activity, Segment, Task, TaskState, Version
from director_tui.core.store import open_store
from director_tui.core.store.postgres import sqlalchemy_url
from tests.conftest import GENERATORS, PY, spec_dict, trust_generators
from tests.postgres_cluster import PASSWORD, PASSWORD_ROLE, create_database


def director(home: Path, *args: str, store: str | None = None, timeout: float = 120,
             **kw: object) -> subprocess.CompletedProcess[str]:
    argv = [PY, "-m", "director_tui", "--home", str(home)] + (["--store", store] if store else []) + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)  # type: ignore[call-overload]


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def new_database(postgres_url: str, name: str) -> str:
    return create_database(postgres_url, name)


def test_init_store_creates_and_upgrades_and_other_schemas_are_one_line(postgres_url: str, tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    url = new_database(postgres_url, "studio_init")
    first = director(home, "init-store", url)
    assert first.returncode == 0 and "schema created (0009_decision_receipts)" in first.stdout, first.stderr
    assert "up to date" in director(home, "init-store", url).stdout
    engine = create_engine(sqlalchemy_url(url))
    from alembic import command

    from director_tui.core.migrations import alembic_config

    cfg = alembic_config()
    with engine.connect() as conn:  # the store as an older program left it
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007_mentions")
        conn.commit()
    older = director(home, "list", store=url)
    assert older.returncode == 2
    assert "is older than this program's (0009_decision_receipts)" in one_line(older)
    assert "director-tui init-store" in one_line(older)
    upgraded = director(home, "init-store", url)
    assert "schema upgraded from 0007_mentions to 0009_decision_receipts" in upgraded.stdout, upgraded.stderr
    assert director(home, "list", store=url).returncode == 0
    with engine.begin() as conn:  # written by a newer program
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099_future'")
    newer = director(home, "list", store=url)
    assert newer.returncode == 2 and "newer than this program knows" in one_line(newer)
    assert "upgrade director-tui" in one_line(newer)
    engine.dispose()


def test_unreachable_servers_and_wrong_credentials_are_one_line_without_the_password(
        postgres_url: str, tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    sock = postgres_url.split("host=")[1]
    url = new_database(postgres_url, "studio_creds")
    db = url.split("/")[3].split("?")[0]
    wrong = f"postgresql://{PASSWORD_ROLE}:not-{PASSWORD}@/{db}?host={sock}"
    done = director(home, "list", store=wrong)
    line = one_line(done)
    assert done.returncode == 2 and "wrong credentials" in line and "password authentication failed" in line
    assert PASSWORD not in line and f"postgresql://{PASSWORD_ROLE}:***@" in line
    right = director(home, "list", store=f"postgresql://{PASSWORD_ROLE}:{PASSWORD}@/{db}?host={sock}")
    assert right.returncode == 0, right.stderr  # and the first command on an empty database made the schema
    for unreachable in (f"postgresql://director:{PASSWORD}@127.0.0.1:1/film",
                        f"postgresql://director@/film?host={tmp_path / 'no-server-here'}"):
        started = time.monotonic()
        done = director(home, "status", "film", store=unreachable)
        line = one_line(done)
        assert done.returncode == 2 and "cannot reach the server" in line and PASSWORD not in line, line
        assert time.monotonic() - started < 20
    opened = director(home, "open", "film", store=f"postgresql://director@/film?host={tmp_path / 'gone'}")
    assert opened.returncode == 2 and "cannot reach the server" in one_line(opened)  # the fast open path too


def test_migrate_store_copies_a_workspace_with_nothing_lost(reviewed, store, home: Path, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    from director_tui.core import drafts, journal, operations
    from director_tui.core.models import Preset
    from director_tui.core.store.transfer import table_counts

    with store.write() as s:  # a draft, a preset of its own, a comment
        seg = s.execute(select(Segment).order_by(Segment.position)).scalars().first()
        drafts.save(s, "tester", seg.id, "image", "a harbour 🌫 at \"dawn\"; $(rm -rf /)", seg.image_prompt)
        s.add(Preset(name="noir", text="high contrast, deep shadows"))
    with store.write() as s:
        operations.comment(s, seg.id, "keyframe", "ana", "the fog is too thick")
    before = table_counts(store)
    assert before["journal"] and before["draft"] and before["activity"] and before["comment"]
    url = new_database(postgres_url, "studio_copy")
    done = director(home, "migrate-store", "--from", str(home), "--to", url)
    assert done.returncode == 0, done.stderr
    assert f"the media stay in {home / 'media'}" in done.stdout
    target = open_store(home, url)
    try:
        assert table_counts(target) == before
        with store.read() as a, target.read() as b:
            for model in (Segment, Version, Task, Activity):
                left = [r.model_dump() for r in a.execute(select(model).order_by(model.id)).scalars()]
                right = [r.model_dump() for r in b.execute(select(model).order_by(model.id)).scalars()]
                assert _comparable(left) == _comparable(right), model
        with target.write() as s:  # the journal came along: the last decision undoes on PostgreSQL
            stream_id = s.execute(select(Segment.stream_id)).scalars().first()
            assert journal.undo(s, stream_id, "tester")
            s.add(Activity(kind="test.after", actor="tester"))  # new ids follow the copied ones
        with target.read() as s:
            assert s.execute(select(Activity.id).where(Activity.kind == "test.after")).scalar_one() > \
                before["activity"]
            assert drafts.for_stream(s, "tester", stream_id)[0].text.startswith("a harbour 🌫")
    finally:
        target.dispose()
    again = director(home, "migrate-store", "--from", str(home), "--to", url)
    assert again.returncode == 1 and "not empty" in one_line(again)


def _comparable(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Times compared as UTC instants (SQLite gives them back naive, PostgreSQL too: both UTC)."""
    out = []
    for row in rows:
        out.append({k: (v.replace(tzinfo=None) if hasattr(v, "tzinfo") and v is not None else v)
                    for k, v in row.items()})
    return out


def _ledger_stream(store, home: Path, n: int, sleep: float, ledger: Path):  # type: ignore[no-untyped-def]
    from director_tui.core import queue
    from director_tui.core.spec import create_stream, validate_spec

    generators = {"keyframe": {"command": [PY, str(GENERATORS / "ledger.py"), "--ledger", str(ledger),
                                           "--segment", "{segment}", "--sleep", str(sleep), "--out", "{output}"],
                               "concurrency": 2}}
    spec = spec_dict(n, generators=generators)
    with store.write() as s:
        stream = create_stream(s, validate_spec(spec), "tester")
        queue.queue_missing_keyframes(s, stream.id, "tester")
    trust_generators(generators)
    return stream


def test_render_workers_share_one_queue_and_a_killed_ones_task_is_reclaimed(
        pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "shared"
    home.mkdir()
    store = open_store(home, pg_database)
    ledger = tmp_path / "ledger.txt"
    stream = _ledger_stream(store, home, 12, 0.6, ledger)
    env = {**os.environ, "DIRECTOR_HEARTBEAT_STALE_S": "2"}
    # three render machines (each its own media root path would be the same mount)
    workers = [subprocess.Popen([PY, "-m", "director_tui", "--home", str(home), "--store", pg_database,
                                 "work", "--all", "--asset", "keyframe"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True) for _ in range(3)]
    try:
        victim = workers[1]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the victim is mid-task
            with store.read() as s:
                mine = s.execute(select(Task).where(Task.state == TaskState.RUNNING,
                                                    Task.owner_pid == victim.pid)).scalars().all()
            if mine:
                break
            time.sleep(0.05)
        assert mine, "the second worker never claimed a task"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
        killed_at = time.monotonic()
        with store.read() as s:  # what it held when it died (reclaimed only after 2 s of silence)
            taken = set(s.execute(select(Task.id).where(Task.state == TaskState.RUNNING,
                                                        Task.owner_pid == victim.pid)).scalars())
        assert taken
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with store.read() as s:
                done = s.execute(select(Segment).where(Segment.keyframe_version_id.is_not(None))).scalars().all()  # type: ignore[union-attr]
            if len(done) == 12:
                break
            time.sleep(0.1)
        assert len(done) == 12
        with store.read() as s:
            versions = s.execute(select(Version)).scalars().all()
            tasks = s.execute(select(Task)).scalars().all()
            reclaimed = s.execute(select(Activity).where(Activity.kind == "task.interrupted")).scalars().all()
        assert sorted(v.segment_id for v in versions) == sorted(x.id for x in done)  # one version each
        succeeded = [t for t in tasks if t.state == TaskState.SUCCEEDED]
        assert len(succeeded) == 12 and len({t.segment_id for t in succeeded}) == 12
        assert {t.id for t in tasks if t.state == TaskState.INTERRUPTED} == taken
        assert {json.loads(a.detail)["task"] for a in reclaimed} == taken
        # reclaimed within the heartbeat window (2 s) and the recovery round after it
        assert max(t.finished_at for t in succeeded).timestamp() > 0
        assert time.monotonic() - killed_at < 30
        starts: dict[str, int] = {}
        for line in ledger.read_text().splitlines():
            segment, _pid, what = line.split()
            if what == "start":
                starts[segment] = starts.get(segment, 0) + 1
        killed_positions = {str(p) for p in _positions(store, taken)}
        assert all(n == 1 for seg, n in starts.items() if seg not in killed_positions), starts  # none ran twice
        assert len({w.pid for w in workers[::2]}) == 2
        owners = {t.owner_pid for t in succeeded}
        assert owners <= {workers[0].pid, workers[2].pid, victim.pid} and len(owners) >= 2  # both survivors worked
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(w.pid, signal.SIGKILL)
        store.dispose()
    assert stream.id


def _positions(store, task_ids: set[int]) -> list[int]:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return [s.get(Segment, s.get(Task, t).segment_id).position for t in task_ids]


def _read_only_mount(folder: Path) -> list[str]:
    """The argv prefix that runs a command seeing `folder` as a read-only mount (a share
    mounted ro): a mount namespace of its own (as root, else a user namespace)."""
    helper = [PY, str(Path(__file__).resolve().parents[1] / "readonly_mount.py"), str(folder), "--"]
    for prefix in (["unshare", "--mount"], ["unshare", "--user", "--map-root-user", "--mount"]):
        if subprocess.run(prefix + ["true"], capture_output=True).returncode == 0:
            return prefix + helper
    pytest.fail("cannot make a read-only mount here (unshare --mount is refused); the test needs one")


def test_a_worker_without_its_media_root_claims_nothing(pg_database: str, tmp_path: Path) -> None:
    home = tmp_path / "shared"
    home.mkdir()
    store = open_store(home, pg_database)
    try:
        _ledger_stream(store, home, 2, 0.0, tmp_path / "ledger.txt")
        missing = director(tmp_path / "not-mounted", "work", "--all", "--until-idle", store=pg_database)
        assert missing.returncode == 2
        assert f"media root {tmp_path / 'not-mounted'} does not exist" in one_line(missing)
        assert not (tmp_path / "not-mounted").exists()  # not quietly made as an empty local folder
        read_only = tmp_path / "read-only"
        (read_only / "media").mkdir(parents=True)
        worker = [PY, "-m", "director_tui", "--home", str(read_only), "--store", pg_database, "work", "--all",
                  "--until-idle"]
        done = subprocess.run(_read_only_mount(read_only) + worker, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert f"media root {read_only} is read-only for this account; nothing was claimed" in one_line(done)
        with store.read() as s:
            assert {t.state for t in s.execute(select(Task)).scalars()} == {TaskState.QUEUED}
    finally:
        store.dispose()


@pytest.mark.parametrize("store_kind", ["postgresql"])
def test_a_backup_of_the_studio_store_restores_into_a_new_database(store, home: Path, film, postgres_url: str,  # type: ignore[no-untyped-def]
                                                                   tmp_path: Path) -> None:
    from director_tui.core.archive import sha256_of

    out = tmp_path / "backups"
    out.mkdir()
    made = director(home, "export", "film", "backup", "-o", str(out), store=store.url)
    assert made.returncode == 0, made.stderr
    (backup,) = out.iterdir()
    assert (backup / "director.pgdump").is_file() and not (backup / "director.db").exists()
    with store.read() as s:
        recorded = {v.path: v.checksum for v in s.execute(select(Version)).scalars()}
    assert len(recorded) == 4 and all((backup / "media" / p).is_file() for p in recorded)
    elsewhere = tmp_path / "restored-ws"  # another machine's (empty) workspace folder
    elsewhere.mkdir()
    url = new_database(postgres_url, "studio_restored")
    done = director(elsewhere, "restore-store", str(backup), "--to", url)
    assert done.returncode == 0, done.stderr
    assert "4 media file(s) copied, 0 already there" in done.stdout
    restored = open_store(elsewhere, url)
    try:
        with restored.read() as s:
            assert {v.path: v.checksum for v in s.execute(select(Version)).scalars()} == recorded
        assert all(sha256_of(elsewhere / "media" / p) == c for p, c in recorded.items())
        status = director(elsewhere, "status", "film", "--json", store=url)
        assert status.returncode == 0 and json.loads(status.stdout)["stream"] == "film"
    finally:
        restored.dispose()
    again = director(elsewhere, "restore-store", str(backup), "--to", url)
    assert again.returncode == 1 and "not empty" in one_line(again)


def test_the_backstop_requeues_on_a_connection_of_its_own(pg_database: str, tmp_path: Path) -> None:
    """A stuck app's last resort (ui/backstop.py) on the studio's store: no pool, no loop."""
    from director_tui.core.store import requeue_now

    home = tmp_path / "shared"
    home.mkdir()
    store = open_store(home, pg_database)
    try:
        stream = _ledger_stream(store, home, 2, 0.0, tmp_path / "ledger.txt")
        claimed = store.tasks.claim(stream.id, "keyframe", "host:1:x", 1, None)
        assert claimed is not None
        assert requeue_now(home, pg_database, [claimed.id, 999], "tester", "interrupted: stuck") == 1
        with store.read() as s:
            task = s.get(Task, claimed.id)
            assert (task.state, task.owner, task.error) == (TaskState.QUEUED, None, "interrupted: stuck")
            assert s.execute(select(Activity).where(Activity.kind == "task.interrupted")).scalar_one().actor == "tester"
        assert not (home / "director.db").exists()  # never an SQLite file made beside a studio store
    finally:
        store.dispose()


def test_the_config_names_the_store_and_this_machines_media_root(pg_database: str, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Two machines mount the share at different places; the store keeps paths relative."""
    from tests.seed import seed_keyframes

    share = tmp_path / "nas" / "lighthouse"
    share.mkdir(parents=True)
    store = open_store(share, pg_database)
    try:
        stream = _ledger_stream(store, share, 2, 0.0, tmp_path / "ledger.txt")
        seed_keyframes(store, share, stream.id)
    finally:
        store.dispose()
    elsewhere = tmp_path / "mnt" / "films"  # the same share on another machine
    elsewhere.parent.mkdir()
    elsewhere.symlink_to(share)
    for root in (share, elsewhere):
        config = tmp_path / f"config-{root.name}.toml"
        config.write_text(f'store = "{pg_database}"\nmedia_root = "{root}"\n')
        env = {**os.environ, "DIRECTOR_CONFIG": str(config)}
        env.pop("DIRECTOR_STORE", None)
        argv = [PY, "-m", "director_tui", "export", "film", "keyframes", "--all-versions", "-o",
                str(tmp_path / f"{root.name}.zip")]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / f"{root.name}.zip").stat().st_size > 0
    wrong = tmp_path / "config-bad.toml"
    wrong.write_text('store = 42\n')
    done = subprocess.run([PY, "-m", "director_tui", "list"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "DIRECTOR_CONFIG": str(wrong)})
    assert done.returncode == 2 and "store: must be a store URL" in one_line(done)


def test_until_idle_waits_for_a_killed_workers_task_and_runs_it(pg_database: str, tmp_path: Path) -> None:
    """Issue 24, 4: two `work --until-idle` workers, one killed with SIGKILL mid-task: the
    survivor does not exit beside the dead worker's `running` task; it waits until the
    heartbeat goes stale, reclaims it, runs it, and the line that says so names the dead
    instance. (It failed before: the survivor said "idle" with the task still running.)"""
    home = tmp_path / "shared"
    home.mkdir()
    store = open_store(home, pg_database)
    ledger = tmp_path / "ledger.txt"
    _ledger_stream(store, home, 2, 4.0, ledger)  # 2 tasks, concurrency 2: the first worker takes both
    env = {**os.environ, "DIRECTOR_HEARTBEAT_STALE_S": "2"}
    argv = [PY, "-m", "director_tui", "--home", str(home), "--store", pg_database, "work", "--all", "--until-idle"]
    victim = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    survivor = None
    try:
        deadline = time.monotonic() + 60
        taken: set[int] = set()
        while time.monotonic() < deadline and len(taken) < 2:
            with store.read() as s:
                taken = set(s.execute(select(Task.id).where(Task.state == TaskState.RUNNING,
                                                            Task.owner_pid == victim.pid)).scalars())
            time.sleep(0.05)
        assert len(taken) == 2, "the first worker never held both tasks"
        survivor = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    start_new_session=True)
        time.sleep(1.0)  # it has looked: nothing queued, two tasks running elsewhere
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)
        out, err = survivor.communicate(timeout=120)
        assert survivor.returncode == 0, err
        with store.read() as s:
            tasks = s.execute(select(Task)).scalars().all()
            owner = s.execute(select(Task.owner).where(Task.id.in_(taken))).scalars().first()  # type: ignore[attr-defined]
        assert {t.id for t in tasks if t.state == TaskState.INTERRUPTED} == taken
        assert sum(t.state == TaskState.SUCCEEDED for t in tasks) == 2
        assert not [t for t in tasks if t.state in (TaskState.RUNNING, TaskState.QUEUED)]
        assert "waiting for task" in err, err
        for task_id in taken:  # the reclaim line names the instance that died, once
            line = next(x for x in out.splitlines() if x.startswith(f"task {task_id} "))
            assert f"interrupted: its instance ({owner}) died" in line and "interrupted interrupted" not in line, out
        assert str(victim.pid) in str(owner)
    finally:
        for proc in (victim, survivor):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        store.dispose()
