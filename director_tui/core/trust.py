"""Which generator definitions this account has agreed to run.

A generator definition (a command's argv; later a server address or a workflow) that
arrives in a spec, an import or the shared database was written by someone else: it
runs only after this account trusted that exact definition. Trust is kept per user,
outside every workspace (`trust.json` in the user's state folder, private), keyed by a
hash of the definition, so writing the shared database cannot grant it, and changing a
definition makes it untrusted again. The built-in procedural generator needs no trust.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from director_tui.config import state_dir

# Settings that say how often and how long, not what runs: changing them keeps the trust.
SCHEDULING_KEYS = frozenset({"timeout_s", "concurrency", "pace_s"})
ASSETS = ("keyframe", "video")


class TrustError(Exception):
    """The trust file cannot be read or written; the message names it."""


class InvalidDefinition(TrustError):
    """A stream's generator definition in the store is not one an import would take: nothing
    of it can be trusted or run until the spec is imported again."""


@dataclass(frozen=True)
class Definition:
    """What one asset's generator runs, as this account is asked to trust it."""

    asset: str
    body: dict[str, Any]  # the settings minus the scheduling knobs

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps(self.body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def builtin(self) -> bool:
        """The built-in generator: nothing of someone else's runs."""
        return not self.body.get("command") and self.body.get("backend") in (None, "", "procedural")

    def lines(self) -> list[str]:
        """The definition in full, for a person to read before trusting it: argv one per line."""
        out = []
        command = self.body.get("command")
        if command:
            out.append(f"{self.asset}: command (argv, one item a line):")
            out.extend(f"    {json.dumps(arg, ensure_ascii=True)}" for arg in command)
        for key in sorted(k for k in self.body if k != "command"):
            value = self.body[key]
            if key == "workflow" and isinstance(value, dict):  # KBs of JSON: what it runs, in short
                digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]
                kinds = sorted({str(n.get("class_type")) for n in value.values() if isinstance(n, dict)})
                out.append(f"{self.asset}: workflow = {len(value)} nodes, sha256 {digest}…: {', '.join(kinds)}")
                continue
            out.append(f"{self.asset}: {key} = {json.dumps(value, ensure_ascii=True)}")
        return out


def definitions(generators_json: str | dict[str, Any] | None) -> list[Definition]:
    """Each asset's generator definition of a stream (built-in ones included); InvalidDefinition
    with the field when the stored text is not a valid one."""
    from director_tui.core.spec import SpecError, stored_generators

    if isinstance(generators_json, str | None):
        try:
            data: dict[str, Any] = stored_generators(generators_json)
        except SpecError as exc:
            raise InvalidDefinition(f"its generator definition in the store is not valid ({exc}); "
                                    "import its spec again") from None
    else:
        data = generators_json
    out = []
    for asset in ASSETS:
        config = data.get(asset) or {}
        if not isinstance(config, dict):
            config = {}
        out.append(Definition(asset, {k: v for k, v in config.items() if k not in SCHEDULING_KEYS}))
    return out


def trust_file() -> Path:
    return state_dir() / "trust.json"


class TrustStore:
    """This account's trusted definitions. Reads the file again when it changed (another
    process of the same user may have trusted something: `director-tui trust`)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or trust_file()
        self._seen: tuple[float, int] | None = None
        self._entries: dict[str, dict[str, Any]] = {}

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._seen, self._entries = None, {}
            return self._entries
        except OSError as exc:
            raise TrustError(f"{self.path}: cannot read ({exc.strerror or exc})") from None
        stamp = (st.st_mtime, st.st_size)
        if stamp == self._seen:
            return self._entries
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TrustError(f"{self.path}: not a trust file this program wrote ({exc}); "
                             "move it away and trust again") from None
        entries = data.get("trusted") if isinstance(data, dict) else None
        self._entries = {k: v for k, v in entries.items() if isinstance(v, dict)} \
            if isinstance(entries, dict) else {}
        self._seen = stamp
        return self._entries

    def is_trusted(self, definition: Definition) -> bool:
        return definition.builtin or definition.fingerprint in self._load()

    def untrusted(self, generators_json: str | dict[str, Any] | None,
                  assets: tuple[str, ...] = ASSETS) -> list[Definition]:
        return [d for d in definitions(generators_json) if d.asset in assets and not self.is_trusted(d)]

    def entries(self) -> dict[str, dict[str, Any]]:
        return dict(self._load())

    def trust(self, definition: Definition, stream: str) -> None:
        def add(entries: dict[str, dict[str, Any]]) -> None:
            entries[definition.fingerprint] = {"asset": definition.asset, "definition": definition.body,
                                               "stream": stream, "trusted_at": datetime.now(UTC).isoformat()}
        self._update(add)

    def revoke(self, fingerprints: list[str]) -> int:
        gone: list[str] = []

        def remove(entries: dict[str, dict[str, Any]]) -> None:
            gone.extend(f for f in fingerprints if f in entries)
            for f in gone:
                del entries[f]
        self._update(remove)
        return len(gone)

    def _update(self, change: Callable[[dict[str, dict[str, Any]]], None]) -> None:
        """Read, change and write the file under its lock (user_files.locked), private to
        this user: two processes trusting at once both keep what they trusted."""
        from director_tui.user_files import locked, write_whole

        try:
            with locked(self.path):
                self._seen = None  # read what is there now, not what this process saw
                entries = dict(self._load())
                change(entries)
                write_whole(self.path, json.dumps({"trusted": entries}, indent=1, ensure_ascii=False).encode("utf-8"))
        except OSError as exc:
            raise TrustError(f"{self.path}: cannot write ({exc.strerror or exc})") from None
        self._seen = None


def refusal(slug: str, untrusted: list[Definition]) -> str:
    """The one line that says why nothing runs, and what to do."""
    which = " and ".join(sorted({d.asset for d in untrusted}))
    return (f"stream '{slug}': its {which} generator is not trusted by this account; "
            f"review it with `director-tui trust {slug}`")
