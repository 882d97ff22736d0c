"""Keys per decision (issue 13): the scripted 40-shot review (30 approved, 10 sent back with
a one-line note) in the real app under Pilot, against the way the app first offered to send
a shot back (`c` note enter, `r`, `n`) in the same run. Notes' text is not counted."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from director_tui.config import Settings  # noqa: E402
from director_tui.core.store import open_store  # noqa: E402
from director_tui.ui.app import make_app  # noqa: E402
from tests.scripted_review import ReviewRun, make_stream, review  # noqa: E402
from tests.seed import seed_keyframes  # noqa: E402


async def one_run(old_way: bool) -> ReviewRun:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "ws"
        store = open_store(home)
        try:
            stream_id = make_stream(store)
            seed_keyframes(store, home, stream_id)
            settings = Settings(home=home, user="bench", auto_generate=False, auto_queue_video=True)
            app = make_app(settings, store, "first-hour", start_runner=False)
            async with app.run_test(size=(160, 48)) as pilot:
                return await review(app, pilot.press, comment_then_regenerate=old_way)
        finally:
            store.dispose()


def main() -> dict[str, float]:
    new = asyncio.run(one_run(False))
    old = asyncio.run(one_run(True))
    result = {"keys": new.keys, "decisions": new.decisions, "keys_per_decision": new.keys_per_decision,
              "baseline_keys": old.keys, "baseline_keys_per_decision": old.keys_per_decision,
              "ratio": new.keys / old.keys, "slowest_key_ms": new.slowest_key_ms,
              "seconds": new.seconds}
    print(f"keys per decision (40 shots: 30 approved, 10 sent back with a note): {new.keys_per_decision:.2f} "
          f"({new.keys} keys) against {old.keys_per_decision:.2f} ({old.keys} keys) the first way, "
          f"ratio {result['ratio']:.2f}; slowest key {new.slowest_key_ms:.0f} ms under Pilot, "
          f"whole review {new.seconds:.1f} s")
    return result


if __name__ == "__main__":
    main()
