"""Settings (TOML), workspace resolution and keymap overrides.

Config file: `$DIRECTOR_CONFIG`, else `<user config dir>/director-tui/config.toml`.

    player = ["mpv", "--really-quiet", "{path}"]   # optional; default: mpv, else xdg-open
    player_in_terminal = "auto"                   # auto | always | never
    auto_generate = true       # queue missing keyframes when a stream is opened
    auto_queue_video = true    # queue the clip when a keyframe is approved
    kill_grace_s = 5.0
    variations = 3             # how many A/B variations `a` queues (1-9)
    image_protocol = "auto"    # auto | sixel | kitty | halfcell | unicode (auto asks the terminal)
    theme = "nord"             # any Textual theme (ctrl+p, Theme, lists them); default: the last one
                               # picked in the command palette, else textual-dark
    workspace_mode = "private" # private: folders 0700, files 0600 (default); group: 0770/0660, for a
                               # workspace shared by a group on a studio server
    max_keyframe_mb = 256      # a generator's output larger than this fails its task
    max_video_mb = 4096
    store = "postgresql://director@db.studio/film"  # a studio's shared store (default: the
                               # workspace's director.db); --store and $DIRECTOR_STORE win
    media_root = "/mnt/nas/film"  # where THIS machine mounts the shared workspace folder
                               # (media, logs); --home and $DIRECTOR_HOME win
    serve_token = "…"          # what lets a browser into `director-tui serve` (16+ characters;
                               # $DIRECTOR_SERVE_TOKEN wins; default: a new one each start)

    [keymap]                   # binding id = keys (comma-separated)
    approve = "space,y"

    [generators.keyframe]      # this user's generator for streams whose spec names none for
    backend = "comfyui"        # the asset (checked like a spec's; the spec's own one wins):
    servers = ["http://gpu-01:8188"]                # a studio's farm, set once per user
    workflow = "workflows/sdxl_keyframe_api.json"   # relative to this file
    inputs = {prompt = ["title:Positive", "text"], seed = ["3", "seed"]}
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

APP_NAME = "director-tui"


class ConfigError(Exception):
    """A config problem; the message names the file and the key."""


@dataclass
class Settings:
    home: Path
    user: str
    player: list[str] | None = None
    player_in_terminal: str = "auto"
    auto_generate: bool = True
    auto_queue_video: bool = True
    kill_grace_s: float = 5.0
    variations: int = 3
    image_protocol: str = "auto"
    theme: str | None = None
    workspace_mode: str = "private"
    max_keyframe_mb: int = 256
    max_video_mb: int = 4096
    keymap: dict[str, str] = field(default_factory=dict)
    config_path: Path | None = None
    store: str | None = None  # a store URL; None: the workspace's SQLite file
    serve_token: str | None = None  # `director-tui serve`'s token; None: a new one each start

    def output_caps(self) -> dict[str, int]:
        """The largest output a generator may hand over, in bytes per asset."""
        return {"keyframe": self.max_keyframe_mb << 20, "video": self.max_video_mb << 20}


WORKSPACE_MODES = {"private": 0o077, "group": 0o007}  # the umask each mode works under


def apply_workspace_mode(mode: str) -> None:
    """Every file and folder this process (and the generators it starts) creates from now
    on: private to this user (0700/0600), or open to the group too (`group`: 0770/0660)."""
    os.umask(WORKSPACE_MODES.get(mode, WORKSPACE_MODES["private"]))


def resolve_home(home: str | Path | None) -> Path:
    """--home, else $DIRECTOR_HOME, else the platform's user data folder."""
    if home:
        return Path(home).expanduser().resolve()
    env = os.environ.get("DIRECTOR_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return platformdirs.user_data_path(APP_NAME)


def current_user() -> str:
    user = os.environ.get("USER") or os.environ.get("LOGNAME")
    if user:
        return user
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def state_dir() -> Path:
    """This user's own state, outside every workspace: `$DIRECTOR_STATE`, else the
    platform's user state folder (remembered choices such as the theme)."""
    env = os.environ.get("DIRECTOR_STATE")
    if env:
        return Path(env).expanduser()
    return platformdirs.user_state_path(APP_NAME)


def load_prefs() -> dict[str, str]:
    """Choices remembered from the app (prefs.json in the state folder); {} if none or unreadable."""
    import json

    try:
        data = json.loads((state_dir() / "prefs.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} \
        if isinstance(data, dict) else {}


def save_pref(key: str, value: str) -> None:
    """Remember one choice for this user (private file, written whole under a lock: another
    app of this user saving its theme at the same moment keeps its choice too)."""
    import json

    from director_tui.user_files import locked, write_whole

    path = state_dir() / "prefs.json"
    with locked(path):
        prefs = load_prefs()
        prefs[key] = value
        write_whole(path, json.dumps(prefs, indent=1).encode("utf-8"))


def config_file() -> Path:
    env = os.environ.get("DIRECTOR_CONFIG")
    if env:
        return Path(env).expanduser()
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def _expect(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise ConfigError(f"{where}: {what}")


CONFIG_MAX = 1 << 20  # a config is a few KB


def load_settings(home: str | Path | None = None, path: Path | None = None, store: str | None = None) -> Settings:
    """The settings: the config file's, then the environment's ($DIRECTOR_HOME,
    $DIRECTOR_STORE), then the command line's (`home`, `store`), each over the one before."""
    settings = Settings(home=resolve_home(home), user=current_user())
    settings.store = store or os.environ.get("DIRECTOR_STORE") or None
    path = path or config_file()
    if not path.exists():
        return settings
    settings.config_path = path
    from director_tui.user_files import read_regular

    try:  # a regular file of at most 1 MiB: /dev/zero here grew the process without end, a FIFO hung it
        data = tomllib.loads(read_regular(path, CONFIG_MAX).decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from exc

    known = {"player", "player_in_terminal", "auto_generate", "auto_queue_video",
             "kill_grace_s", "variations", "image_protocol", "theme", "workspace_mode",
             "max_keyframe_mb", "max_video_mb", "keymap", "generators", "store", "media_root", "serve_token"}
    for key in data:
        _expect(key in known, f"{path}: {key}", "unknown setting")
    if "player" in data:
        player = data["player"]
        _expect(isinstance(player, list) and bool(player) and all(isinstance(a, str) for a in player),
                f"{path}: player", "must be a non-empty list of strings")
        _expect(any("{path}" in a for a in player), f"{path}: player", "must contain {path}")
        settings.player = list(player)
    if "player_in_terminal" in data:
        value = data["player_in_terminal"]
        _expect(value in ("auto", "always", "never"), f"{path}: player_in_terminal",
                "must be auto, always or never")
        settings.player_in_terminal = value
    for flag in ("auto_generate", "auto_queue_video"):
        if flag in data:
            _expect(isinstance(data[flag], bool), f"{path}: {flag}", "must be true or false")
            setattr(settings, flag, data[flag])
    if "kill_grace_s" in data:
        value = data["kill_grace_s"]
        _expect(isinstance(value, int | float) and value >= 0, f"{path}: kill_grace_s",
                "must be a number of seconds")
        settings.kill_grace_s = float(value)
    if "variations" in data:
        value = data["variations"]
        _expect(isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 9,
                f"{path}: variations", "must be a whole number from 1 to 9")
        settings.variations = value
    if "image_protocol" in data:
        value = data["image_protocol"]
        _expect(value in ("auto", "sixel", "kitty", "halfcell", "unicode"), f"{path}: image_protocol",
                "must be auto, sixel, kitty, halfcell or unicode")
        settings.image_protocol = value
    if "theme" in data:
        value = data["theme"]
        _expect(isinstance(value, str) and value.strip() != "", f"{path}: theme",
                "must be the name of a theme, e.g. \"nord\"")
        settings.theme = value.strip()
    if "workspace_mode" in data:
        value = data["workspace_mode"]
        _expect(value in WORKSPACE_MODES, f"{path}: workspace_mode", "must be private or group")
        settings.workspace_mode = value
    for cap in ("max_keyframe_mb", "max_video_mb"):
        if cap in data:
            value = data[cap]
            _expect(isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1_048_576,
                    f"{path}: {cap}", "must be a whole number of megabytes from 1 to 1048576")
            setattr(settings, cap, value)
    if "store" in data:
        value = data["store"]
        _expect(isinstance(value, str) and "://" in value, f"{path}: store",
                'must be a store URL, e.g. "postgresql://director@db.studio/film"')
        settings.store = settings.store or value
    if "media_root" in data:
        value = data["media_root"]
        _expect(isinstance(value, str) and value.strip() != "", f"{path}: media_root",
                "must be the folder where this machine mounts the shared workspace")
        if not home and not os.environ.get("DIRECTOR_HOME"):
            settings.home = Path(value).expanduser()
    if "serve_token" in data:
        value = data["serve_token"]
        _expect(isinstance(value, str) and len(value) >= 16 and value.isprintable() and " " not in value,
                f"{path}: serve_token", "must be at least 16 characters, no spaces")
        settings.serve_token = value
    if "generators" in data:  # checked in full by jobs/generators.user_generators (it needs core/)
        gens = data["generators"]
        _expect(isinstance(gens, dict) and all(isinstance(v, dict) for v in gens.values()),
                f"{path}: generators", "must be tables: [generators.keyframe], [generators.video]")
    if "keymap" in data:
        keymap = data["keymap"]
        _expect(isinstance(keymap, dict), f"{path}: keymap", "must be a table of id = \"keys\"")
        for binding_id, keys in keymap.items():
            _expect(isinstance(keys, str) and keys.strip() != "", f"{path}: keymap.{binding_id}",
                    "must be a string of keys")
        settings.keymap = dict(keymap)
    return settings


def file_mode() -> int:
    """The mode a new file of this process gets (0o666 under its umask: the workspace mode,
    0600 private or 0660 group). Read from /proc, not os.umask(): that sets it, for every
    thread, while it looks."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o600
