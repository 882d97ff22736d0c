"""Timeline, metrics and recommendations over a real workspace with real generated versions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from director_tui.cli import app as cli_app
from director_tui.core import insight

BOTH_STORES = True  # each test on SQLite and on PostgreSQL (conftest.store_kind)


def cli(home, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli_app, ["--home", str(home), *args])


def test_timeline_newest_first_with_filters(store, home, reviewed) -> None:  # type: ignore[no-untyped-def]
    with store.read() as s:
        events = insight.timeline(s, reviewed.id)
        # newest first: by time, then id (on a shared store, two workers' rows may commit in
        # another order than their clocks read)
        assert [(e.at, e.id) for e in events] == sorted(((e.at, e.id) for e in events), reverse=True)
        assert events[0].kind == "prompt.changed" and events[0].actor == "ana" and events[0].position == 6
        assert events[0].summary == "image prompt changed"
        decisions = insight.timeline(s, reviewed.id, kind="decision")
        assert [e.summary for e in decisions if e.kind.startswith("version.")][-1] == "keyframe v1 approved"
        assert sum(e.kind == "version.rejected" for e in decisions) == 2
        assert {e.position for e in insight.timeline(s, reviewed.id, segment=5)} == {5}
        assert {e.kind for e in insight.timeline(s, reviewed.id, actor="ana")} == {"comment.added", "prompt.changed"}
        assert insight.timeline(s, reviewed.id, since=insight.utcnow() + timedelta(minutes=1)) == []
        generated = insight.timeline(s, reviewed.id, kind="generation")
        assert sum(e.kind == "version.created" for e in generated) == 7
        assert insight.timeline(s, reviewed.id, kind="task.failed") == []
        older = insight.timeline(s, reviewed.id, before_id=events[0].id, limit=3)
        assert [e.id for e in older] == [e.id for e in events[1:4]]
    with pytest.raises(insight.InsightError, match="since: 'yesterday' is not a time"):
        insight.parse_since("yesterday")
    assert insight.parse_since("2h", insight.utcnow()) < insight.utcnow() - timedelta(minutes=119)
    r = cli(home, "activity", "film", "--json", "--kind", "comment")
    assert r.exit_code == 0, r.output
    assert [e["summary"] for e in json.loads(r.output)] == ["comment on keyframe v1"]
    r = cli(home, "activity", "film", "--since", "soon")
    assert r.exit_code == 2 and r.output.strip().startswith("director-tui: since: 'soon'")


def test_metrics_count_what_happened(store, home, reviewed) -> None:  # type: ignore[no-untyped-def]
    with store.read() as s:
        m = insight.metrics(s, reviewed.id)
    assert (m.approved, m.decided) == (5, 7)  # 4 + segment 5's v2, against 2 rejections
    assert (m.first_approved, m.first_decided) == (4, 6)
    assert m.distribution == {"0": 5, "1": 1, "2": 0, "3": 0, "4": 0, "5+": 0}
    assert abs(m.regenerations_mean - 1 / 6) < 1e-9
    assert [a.position for a in m.attention] == [6]  # 5 is approved now; 6 was rejected and commented
    assert m.attention[0].reasons == "1 rejection, 1 comment"
    assert m.generation["keyframe"]["count"] == 7 and m.generation["keyframe"]["median"] > 0
    assert m.checkpoints[0][0] == "keyframes" and m.checkpoints[0][2] is False
    assert sum(n for _, n in m.activity_per_day) >= 20 and len(m.activity_per_day) == 14
    data = json.loads(cli(home, "metrics", "film", "--json").output)
    assert data["first_time_approval"] == {"approved": 4, "decided": 6, "rate": 4 / 6}
    text = cli(home, "metrics", "film").output
    assert "first-time approval" in text and "4 of 6 (67%)" in text and "#6" in text


def test_recommendations_need_enough_samples_and_show_counts(store, home, reviewed) -> None:  # type: ignore[no-untyped-def]
    with store.read() as s:
        recs = insight.recommendations(s, min_samples=5)
        assert insight.recommendations(s, min_samples=7) == []
    harbour = next(r for r in recs if r.label == "a harbour at dawn")
    # six prompts' first versions decided (segment 5's v2 shares its prompt with v1: not a new sample)
    assert (harbour.approved_first, harbour.samples, harbour.field) == (4, 6, "image")
    assert harbour.describe() == "'a harbour at dawn' in image prompts: 4 of 6 approved first time"
    assert all(r.samples >= 5 for r in recs)
    out = cli(home, "recommend", "--min-samples", "5").output
    assert "4 of 6 approved first time" in out
    assert "nothing to recommend yet" in cli(home, "recommend", "--min-samples", "50").output
    assert cli(home, "recommend", "--field", "sound").exit_code == 2
