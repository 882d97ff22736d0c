"""Why the store would not take what a runner had to write (a claim, a task's end), since
when, and whether it is likely to pass: `regen --wait` gives up on a refusal that will not
pass (a full disk, a read-only store) at once, on a lock or a server away after
GIVE_UP_AFTER_S (issue 25: it hung on a full disk)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from director_tui.core.store import Store
from director_tui.core.store.failures import unavailable

GIVE_UP_AFTER_S = 30.0  # a lock is waited out this long


@dataclass(frozen=True)
class StoreRefusal:
    why: str  # in words: "the disk is full"
    passing: bool  # a lock held, a server away: likely to pass
    since: float = field(default_factory=time.monotonic)

    @classmethod
    def of(cls, exc: BaseException, store: Store) -> StoreRefusal:
        why = unavailable(exc) or (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        return cls(why, store.is_transient(exc) or store.connection_problem() is not None)

    def given_up(self) -> bool:
        """Whether a waiting command should stop waiting for it."""
        return not self.passing or time.monotonic() - self.since >= GIVE_UP_AFTER_S
