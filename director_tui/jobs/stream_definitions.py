"""The generator definitions a runner works with: each stream's settings per asset, read from
the store once per stream, and whether this account trusts them (core/trust.py).

Nothing of a definition this account has not trusted is claimed, and nothing of one the
store holds in a shape an import would refuse (issue 25): its tasks wait, queued, and the
reason is said once, while the other streams run.
"""

from __future__ import annotations

from collections.abc import Callable

from director_tui.core.models import Stream
from director_tui.core.spec import SpecError
from director_tui.core.store import Store
from director_tui.core.trust import InvalidDefinition, TrustError, TrustStore, refusal
from director_tui.jobs.generators import GeneratorSettings, settings_for


class StreamDefinitions:
    def __init__(self, store: Store, trust: TrustStore, say: Callable[[str], None]) -> None:
        self.store, self.trust, self._say = store, trust, say
        self._settings: dict[tuple[int, str], GeneratorSettings] = {}
        self._generators: dict[int, tuple[str, str]] = {}  # stream id -> (slug, generators_json)
        self._refused: set[tuple[int, str]] = set()  # said once

    def settings(self, stream_id: int, asset: str) -> GeneratorSettings:
        """SpecError when the stored definition is not a valid one (trusted() says so)."""
        key = (stream_id, asset)
        if key not in self._settings:
            self._settings[key] = settings_for(self.generators(stream_id)[1], asset)
        return self._settings[key]

    def backend_name(self, stream_id: int, asset: str) -> str | None:
        """The back end that runs it; None for a definition that is not a valid one."""
        try:
            return self.settings(stream_id, asset).backend_name
        except SpecError:
            return None

    def generators(self, stream_id: int) -> tuple[str, str]:
        """(slug, generators_json) of the stream, read once."""
        if stream_id not in self._generators:
            with self.store.read() as s:
                stream = s.get(Stream, stream_id)
                self._generators[stream_id] = (stream.slug, stream.generators_json) if stream else ("?", "{}")
        return self._generators[stream_id]

    def refusal_said(self, stream_id: int, asset: str) -> None:
        self._refused.add((stream_id, asset))

    def forget_refusal(self, stream_id: int, asset: str) -> None:
        self._refused.discard((stream_id, asset))

    def trusted(self, stream_id: int, asset: str, *, quiet: bool = False) -> bool:
        """Whether this account trusts the (stream, asset) generator (a stat of the trust
        file); unless `quiet`, it says once why not."""
        slug, generators = self.generators(stream_id)
        try:
            untrusted = self.trust.untrusted(generators, (asset,))
            why = refusal(slug, untrusted) if untrusted else ""
        except InvalidDefinition as exc:  # written into the store unchecked: this stream waits
            why = f"stream {slug}: {exc}"
        except TrustError as exc:
            why = f"{exc}: nothing runs until it is fixed"
        if not why:
            self._refused.discard((stream_id, asset))
            return True
        if not quiet and (stream_id, asset) not in self._refused:
            self._refused.add((stream_id, asset))
            self._say(why)
        return False
