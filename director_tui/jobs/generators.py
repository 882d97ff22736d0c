"""Generator commands: settings, placeholder substitution, progress parsing.

A generator is any program, started with an argv list (never a shell). Each
placeholder is replaced inside each argument in a single pass, so a prompt
that itself contains `{output}` or `$(...)` reaches the program byte for byte.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from typing import Any

from director_tui.core.models import Asset
from director_tui.core.spec import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT_S,
    GENERATOR_PLACEHOLDERS,
    PLACEHOLDER_RE,
)

OUTPUT_SUFFIX = {Asset.KEYFRAME: ".png", Asset.VIDEO: ".mp4"}


@dataclass(frozen=True)
class GeneratorSettings:
    asset: str
    command: tuple[str, ...] | None  # None: the built-in procedural generator
    timeout_s: float
    concurrency: int
    pace_s: float = 0.0
    backend: str = ""  # jobs/backends: "subprocess" with a command, else "procedural"
    options_json: str = "{}"  # the whole settings object, for back ends with settings of their own (comfyui)
    generator: str = ""  # set by a job that knows what made the version (comfyui: the server)

    @property
    def options(self) -> dict[str, Any]:
        return json.loads(self.options_json)

    @property
    def backend_name(self) -> str:
        return self.backend or ("subprocess" if self.command else "procedural")

    @property
    def name(self) -> str:
        return self.command[0] if self.command else self.backend_name

    def template(self) -> list[str]:
        if self.command is not None:
            return list(self.command)
        return builtin_command(self.asset, self.pace_s)

    def describe(self) -> str:
        """What a version records as its generator."""
        if self.generator:
            return self.generator
        command = self.template() if self.backend_name in ("subprocess", "procedural") else None
        return json.dumps({"name": self.name, "backend": self.backend_name, "command": command},
                          ensure_ascii=False)


def builtin_command(asset: str, pace_s: float = 0.0) -> list[str]:
    # `--name=value` in one argument: a prompt that looks like an option (`--help`,
    # `--out=/x`) reaches the generator as text, never as an option
    base = [sys.executable, "-m", "director_tui.jobs.procedural", asset,
            "--prompt={prompt}", "--seed={seed}", "--out={output}",
            "--width={width}", "--height={height}", "--segment=segment {segment}",
            f"--pace={pace_s:g}"]
    if asset == Asset.VIDEO:
        base += ["--reference={reference}", "--duration={duration}"]
    else:
        base += ["--reference={reference}"]  # empty unless varying a version (image-to-image)
    return base


_USER_GENERATORS: tuple[object, dict[str, dict[str, Any]], str | None] | None = None


def user_generators() -> tuple[dict[str, dict[str, Any]], str | None]:
    """This user's `[generators.<asset>]` from the config file, checked like a spec's (a
    workflow path is relative to the config file), read again when the file changes; and
    the one line saying what is wrong with them, if anything (then none are used)."""
    global _USER_GENERATORS
    import tomllib

    from director_tui.config import config_file
    from director_tui.core.spec import SpecError, validate_generator

    path = config_file()
    try:
        st = path.stat()
    except OSError:
        return {}, None
    stamp = (str(path), st.st_mtime_ns, st.st_size)
    if _USER_GENERATORS is not None and _USER_GENERATORS[0] == stamp:
        return _USER_GENERATORS[1], _USER_GENERATORS[2]
    found: dict[str, dict[str, Any]] = {}
    error = None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")).get("generators") or {}
        for asset, value in raw.items():
            if asset not in Asset.ALL:
                raise SpecError(f"generators.{asset}", "unknown asset (expected keyframe or video)")
            found[asset] = validate_generator(asset, value, path.parent)
    except SpecError as exc:
        found, error = {}, f"{path}: {exc}"
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        found, error = {}, f"{path}: cannot read its generators ({exc})"
    _USER_GENERATORS = (stamp, found, error)
    return found, error


def settings_for(generators_json: str, asset: str) -> GeneratorSettings:
    """The generator of a stream's asset: the spec's, else this user's config's, else the
    built-in one. SpecError when the stored definition is not one an import would take."""
    from director_tui.core.spec import stored_generators

    config = stored_generators(generators_json).get(asset) or user_generators()[0].get(asset, {})
    command = config.get("command")
    concurrency = int(config.get("concurrency", DEFAULT_CONCURRENCY[asset]))
    if config.get("backend") == "comfyui":  # per server: the pool runs that many on each
        concurrency = int(config.get("concurrency", 1)) * max(1, len(config.get("servers") or []))
    return GeneratorSettings(
        asset=asset,
        command=tuple(command) if command else None,
        timeout_s=float(config.get("timeout_s", DEFAULT_TIMEOUT_S)),
        concurrency=concurrency,
        pace_s=float(config.get("pace_s", 0.0)),
        backend=str(config.get("backend", "")),
        options_json=json.dumps(config, ensure_ascii=False, sort_keys=True),
    )


def substitute(arg: str, values: dict[str, str]) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        return values[name] if name in GENERATOR_PLACEHOLDERS and name in values else m.group(0)

    return PLACEHOLDER_RE.sub(repl, arg)


def build_argv(template: list[str], values: dict[str, str]) -> list[str]:
    return [substitute(arg, values) for arg in template]


# --- progress -------------------------------------------------------------

_PROGRESS_RE = re.compile(r"^\s*PROGRESS\s+(\d+(?:\.\d+)?)%?\s*(.*)$")
# tqdm: "desc:  45%|████▌     | 12/24 [00:03<00:03,  3.9it/s]"
_TQDM_RE = re.compile(r"(?:^|\s|:)(\d{1,3})%\|[^|]*\|\s*(.*)$")


MAX_JSON_PROGRESS = 4096  # a JSON progress line is short; a longer one is output, not progress


@dataclass(frozen=True)
class Progress:
    fraction: float  # 0..1
    message: str


def parse_progress(line: str) -> Progress | None:
    """Read progress from one line of generator output, or None."""
    m = _PROGRESS_RE.match(line)
    if m:
        return Progress(min(1.0, float(m.group(1)) / 100), m.group(2).strip())
    stripped = line.strip()
    if stripped.startswith("{") and "progress" in stripped and len(stripped) <= MAX_JSON_PROGRESS:
        try:
            data = json.loads(stripped)
        except (ValueError, RecursionError):  # not JSON, or nested past any sense: ignored
            return None
        value = data.get("progress") if isinstance(data, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            frac = float(value) / 100 if value > 1 else float(value)
            return Progress(max(0.0, min(1.0, frac)), str(data.get("message", ""))[:200])
        return None
    m = _TQDM_RE.search(line)
    if m:
        detail = m.group(2).strip()
        # keep "12/24" and drop the timing bracket
        message = detail.split("[", 1)[0].strip()
        return Progress(min(1.0, int(m.group(1)) / 100), message)
    return None
