"""Production specs: JSON and TOML, and every bad case gets one line naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from director_tui.core.models import PromptRevision, Segment, Stream
from director_tui.core.spec import (
    SpecError,
    StreamExists,
    create_stream,
    export_spec,
    load_spec,
    validate_spec,
)
from tests.conftest import spec_dict


def test_json_and_toml_give_the_same_spec(tmp_path: Path) -> None:
    j = tmp_path / "s.json"
    j.write_text(json.dumps(spec_dict(2)))
    t = tmp_path / "s.toml"
    t.write_text(
        'stream = "film"\ntitle = "Test Film"\nwidth = 320\nheight = 180\n'
        '[[segments]]\ntitle = "Shot 1"\nimage_prompt = "a harbour at dawn, shot 1"\n'
        'motion_prompt = "slow pan left"\nduration = 0.5\n'
        '[[segments]]\ntitle = "Shot 2"\nimage_prompt = "a harbour at dawn, shot 2"\n'
        'motion_prompt = "zoom in"\nduration = 0.5\n'
    )
    assert load_spec(j) == load_spec(t)
    assert load_spec(j).segments[1].motion_prompt == "zoom in"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["segments"][2].pop("image_prompt"), "segments[2].image_prompt: missing"),
        (lambda d: d["segments"][0].update(image_prompt=""), "segments[0].image_prompt: must not be empty"),
        (lambda d: d["segments"][1].update(duration="long"), "segments[1].duration: must be a number, not str"),
        (lambda d: d["segments"][1].update(duration=-1), "segments[1].duration: must be greater than 0"),
        (lambda d: d["segments"][0].update(duraton=3), "segments[0].duraton: unknown field"),
        (lambda d: d.update(segments=[]), "segments: must hold at least one segment"),
        (lambda d: d.pop("segments"), "segments: missing"),
        (lambda d: d.update(segments={"a": 1}), "segments: must be a list"),
        (lambda d: d["segments"].__setitem__(1, "shot"), "segments[1]: must be an object"),
        (lambda d: d.update(stream="../x"), "stream: '../x' is not a valid slug"),
        (lambda d: d.update(stream="Harbour"), "stream: 'Harbour' is not a valid slug"),
        (lambda d: d.pop("stream"), "stream: missing"),
        (lambda d: d.update(generators={"audio": {}}), "generators.audio: unknown asset"),
        (lambda d: d.update(generators={"keyframe": {"command": "gen --out x"}}),
         "generators.keyframe.command: must be a non-empty list"),
        (lambda d: d.update(generators={"keyframe": {"command": ["gen", "{prompt}"]}}),
         "generators.keyframe.command: must contain {output}"),
        (lambda d: d.update(generators={"keyframe": {"command": ["gen", "{output}", "{nope}"]}}),
         "generators.keyframe.command[2]: unknown placeholder {nope}"),
        (lambda d: d.update(generators={"video": {"concurrency": 0}}),
         "generators.video.concurrency: must be a whole number"),
        (lambda d: d.update(width=321), "width: must be even"),
    ],
)
def test_bad_specs_name_field_and_position(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = spec_dict(3)
    mutate(data)
    with pytest.raises(SpecError) as info:
        validate_spec(data)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_unparseable_files_name_line_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"stream": "x",\n "segments": [}\n')
    with pytest.raises(SpecError, match=r"bad.json: invalid JSON at line 2, column 15: Expecting value"):
        load_spec(bad)
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text('stream = "x"\nsegments = [\n')
    with pytest.raises(SpecError, match=r"bad.toml: invalid TOML"):
        load_spec(bad_toml)
    with pytest.raises(SpecError, match=r"missing.json: file not found"):
        load_spec(tmp_path / "missing.json")
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SpecError, match="not UTF-8"):
        load_spec(binary)


def test_hostile_prompts_are_kept_exactly(store) -> None:  # type: ignore[no-untyped-def]
    hostile = 'a "quoted" shot; $(rm -rf ~) `id` {output} \n second line 🎬 ' + "x" * 100_000
    data = spec_dict(1)
    data["segments"][0]["image_prompt"] = hostile
    spec = validate_spec(data)
    with store.write() as s:
        stream = create_stream(s, spec, "tester")
    with store.read() as s:
        seg = s.execute(select(Segment).where(Segment.stream_id == stream.id)).scalar_one()
        assert seg.image_prompt == hostile
        revisions = s.execute(select(func.count(PromptRevision.id))).scalar_one()
        assert revisions == 2  # image + motion, the first revision of each


def test_duplicate_stream_creates_nothing(store) -> None:  # type: ignore[no-untyped-def]
    spec = validate_spec(spec_dict(2))
    with store.write() as s:
        create_stream(s, spec, "tester")
    with pytest.raises(StreamExists, match="'film' already exists"), store.write() as s:
        create_stream(s, validate_spec(spec_dict(5)), "tester")
    with store.read() as s:
        assert s.execute(select(func.count(Segment.id))).scalar_one() == 2
        assert s.execute(select(func.count(Stream.id))).scalar_one() == 1


def test_export_round_trips(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = spec_dict(3, generators={"keyframe": {"command": ["gen", "--out", "{output}"], "concurrency": 3}})
    with store.write() as s:
        stream = create_stream(s, validate_spec(data), "tester")
    with store.read() as s:
        exported = export_spec(s, stream)
    assert validate_spec(exported) == validate_spec(data)
