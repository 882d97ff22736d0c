"""The CLI through typer's runner, on a real workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from director_tui.cli import app
from tests.conftest import spec_dict

runner = CliRunner()


def cli(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--home", str(home), *args])


def test_new_import_list_status(home: Path, tmp_path: Path) -> None:
    spec = tmp_path / "film.json"
    spec.write_text(json.dumps(spec_dict(3)))
    r = cli(home, "import", str(spec))
    assert r.exit_code == 0, r.output
    assert "created stream 'film' (3 segments)" in r.output
    r = cli(home, "new", "teaser", "--spec", str(spec))
    assert r.exit_code == 0, r.output
    r = cli(home, "new", "empty-one")
    assert r.exit_code == 0 and "(1 segment)" in r.output
    r = cli(home, "list")
    assert r.exit_code == 0
    assert [line.split()[0] for line in r.output.splitlines()] == ["empty-one", "film", "teaser"]
    r = cli(home, "status", "film", "--json")
    assert r.exit_code == 0
    data = json.loads(r.output)
    assert data["stream"] == "film" and len(data["segments"]) == 3
    first = data["segments"][0]
    assert first["position"] == 1 and first["title"] == "Shot 1"
    assert first["image_prompt"] == "a harbour at dawn, shot 1" and first["motion_prompt"] == "slow pan left"
    assert first["keyframe"] == {"version": None, "state": "none", "task": None}
    assert data["totals"]["keyframes"] == {"approved": 0, "total": 3}
    assert data["totals"]["videos"] == {"approved": 0, "total": 3}
    r = cli(home, "status", "film")
    assert r.exit_code == 0 and "keyframes 0/3 approved" in r.output


def test_export_spec_round_trips_through_import(home: Path, tmp_path: Path) -> None:
    spec = tmp_path / "film.json"
    spec.write_text(json.dumps(spec_dict(2)))
    assert cli(home, "import", str(spec)).exit_code == 0
    r = cli(home, "export-spec", "film")
    assert r.exit_code == 0
    exported = json.loads(r.output)
    exported["stream"] = "film-copy"
    again = tmp_path / "copy.json"
    again.write_text(json.dumps(exported))
    assert cli(home, "import", str(again)).exit_code == 0
    a = json.loads(cli(home, "status", "film", "--json").output)["segments"]
    b = json.loads(cli(home, "status", "film-copy", "--json").output)["segments"]
    assert a == b


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "../x"], "slug: '../x' is not a valid slug"),
        (["new", "Big Film"], "slug: 'Big Film' is not a valid slug"),
        (["status", "nope"], "stream 'nope' not found"),
        (["open", "nope"], "stream 'nope' not found"),
    ],
)
def test_bad_input_is_one_line_exit_2(home: Path, args: list[str], message: str) -> None:
    r = cli(home, *args)
    assert r.exit_code == 2
    assert r.output.strip() == f"director-tui: {message}" or message in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1


def test_bad_spec_creates_nothing(home: Path, tmp_path: Path) -> None:
    data = spec_dict(4)
    del data["segments"][3]["image_prompt"]
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps(data))
    r = cli(home, "import", str(spec))
    assert r.exit_code == 2
    assert r.output.strip() == f"director-tui: {spec}: segments[3].image_prompt: missing"
    assert "no streams yet" in cli(home, "list").output
    assert cli(home, "status", "film").exit_code == 2


def test_home_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_home = tmp_path / "from-env"
    monkeypatch.setenv("DIRECTOR_HOME", str(env_home))
    assert runner.invoke(app, ["new", "film"]).exit_code == 0
    assert (env_home / "director.db").is_file()
    flag_home = tmp_path / "from-flag"
    assert runner.invoke(app, ["--home", str(flag_home), "new", "film"]).exit_code == 0
    assert (flag_home / "director.db").is_file()


def test_the_open_fast_path_takes_only_the_plain_form() -> None:
    from director_tui.launch import fast_open_args

    assert fast_open_args(["open", "film"]) == (None, "film", None)
    assert fast_open_args(["--home", "/w", "open", "film"]) == ("/w", "film", None)
    assert fast_open_args(["--home=/w", "open", "film"]) == ("/w", "film", None)
    assert fast_open_args(["--store", "postgresql://h/db", "--home=/w", "open", "film"]) == \
        ("/w", "film", "postgresql://h/db")
    for other in (["open", "--help"], ["open"], ["open", "a", "b"], ["--version"], ["status", "film"],
                  ["--home", "open", "film"], ["--home=", "open", "film"], ["--store", "open", "film"],
                  ["--home", "/a", "--home", "/b", "open", "film"]):
        assert fast_open_args(other) is None, other

