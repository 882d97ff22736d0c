"""The generator settings of the remote back ends (comfyui, replicate), checked at import
like the rest of a spec.

comfyui: `servers` (ComfyUI base URLs), `workflow` (a workflow exported in ComfyUI's API
format: a path relative to the spec file, or the object itself; imported inline so the
stream stays self-contained and `export-spec` writes it back whole), `inputs` (where each
of our parameters goes: `[node, input]`, the node by id or as `title:<its _meta.title>`).
Every mapped node and input must exist; an error names the field and the node.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# what we can put into a workflow (GENERATOR_PLACEHOLDERS minus output, which ComfyUI names)
COMFY_PARAMETERS = ("prompt", "seed", "width", "height", "reference", "duration", "segment", "stream")
COMFY_KEYS = {"backend", "servers", "workflow", "workflow_name", "inputs", "timeout_s", "concurrency"}
WORKFLOW_MAX_BYTES = 8 << 20  # an API-format workflow is KBs; a bigger file is not one
SERVERS_MAX = 64


class RemoteSpecError(ValueError):
    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where, self.what = where, what


def check_server(url: object, where: str) -> str:
    if not isinstance(url, str) or not url.strip():
        raise RemoteSpecError(where, "must be a server URL such as http://gpu-01:8188")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteSpecError(where, f"{url!r} is not an http:// or https:// URL with a host")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise RemoteSpecError(where, f"{url!r}: a server URL has no query, fragment or credentials")
    return url.strip().rstrip("/")


def read_workflow(value: object, where: str, base_dir: Path | None) -> dict[str, Any]:
    """The workflow object: given inline, or read from a file next to the spec."""
    if isinstance(value, dict):
        return check_workflow(value, where)
    if not isinstance(value, str) or not value.strip():
        raise RemoteSpecError(where, "must be a path to a workflow in ComfyUI's API format, or the object itself")
    path = Path(value).expanduser()
    if not path.is_absolute():
        if base_dir is None:
            raise RemoteSpecError(where, f"{value!r}: a relative path needs the spec's folder (import the spec file)")
        path = base_dir / path
    from director_tui.user_files import read_regular

    try:
        if not path.exists():
            raise RemoteSpecError(where, f"{path}: no such file")
        text = read_regular(path, WORKFLOW_MAX_BYTES).decode("utf-8")
    except OSError as exc:
        raise RemoteSpecError(where, f"{path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise RemoteSpecError(where, f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise RemoteSpecError(where, f"{path}: not JSON ({exc})") from None
    return check_workflow(data, f"{where} ({path.name})")


def check_workflow(data: object, where: str) -> dict[str, Any]:
    if not isinstance(data, dict) or not data:
        raise RemoteSpecError(where, "must be an object of nodes (export it with 'Save (API Format)')")
    if "nodes" in data and "links" in data:
        raise RemoteSpecError(where, "this is the UI format; export the workflow with 'Save (API Format)'")
    for node_id, node in data.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str) \
                or not isinstance(node.get("inputs"), dict):
            raise RemoteSpecError(f"{where} node {node_id!r}", "must have a class_type and inputs")
        meta = node.get("_meta")  # (ComfyUI's own: {"title": …}; read by title: references and the log)
        if meta is not None and not (isinstance(meta, dict) and isinstance(meta.get("title", ""), str)):
            raise RemoteSpecError(f"{where} node {node_id!r}._meta", "must be an object whose title is a string")
    return data


def find_node(workflow: dict[str, Any], ref: str, where: str) -> str:
    """The id of node `ref`: an id, or `title:<title>` naming exactly one node."""
    if ref.startswith("title:"):
        title = ref.removeprefix("title:")
        found = [nid for nid, node in workflow.items() if (node.get("_meta") or {}).get("title") == title]
        if not found:
            raise RemoteSpecError(where, f"no node titled {title!r} in the workflow")
        if len(found) > 1:
            raise RemoteSpecError(where, f"{len(found)} nodes are titled {title!r} ({', '.join(found)}); use an id")
        return found[0]
    if ref not in workflow:
        raise RemoteSpecError(where, f"no node {ref!r} in the workflow (ids: {', '.join(list(workflow)[:12])})")
    return ref


def check_inputs(value: object, workflow: dict[str, Any], where: str) -> dict[str, list[str]]:
    if not isinstance(value, dict) or not value:
        raise RemoteSpecError(where, "must map our parameters to [node, input], e.g. {\"prompt\": [\"6\", \"text\"]}")
    out: dict[str, list[str]] = {}
    for name, target in value.items():
        at = f"{where}.{name}"
        if name not in COMFY_PARAMETERS:
            raise RemoteSpecError(at, f"not a parameter we provide (one of {', '.join(COMFY_PARAMETERS)})")
        if not (isinstance(target, list) and len(target) == 2 and all(isinstance(t, str) and t for t in target)):
            raise RemoteSpecError(at, "must be [node, input], two strings")
        node_id = find_node(workflow, target[0], at)
        node = workflow[node_id]
        if target[1] not in node["inputs"]:
            raise RemoteSpecError(at, f"node {node_id} ({node['class_type']}) has no input {target[1]!r} "
                                      f"(it has {', '.join(node['inputs'])})")
        out[name] = [target[0], target[1]]
    if "prompt" not in out:
        raise RemoteSpecError(where, "must map prompt (where the segment's prompt goes)")
    return out


def validate_comfyui(value: dict[str, Any], where: str, base_dir: Path | None) -> dict[str, Any]:
    """The comfyui settings, normalized: servers without a trailing /, the workflow inline."""
    for key in value:
        if key not in COMFY_KEYS:
            raise RemoteSpecError(f"{where}.{key}", f"unknown field for the comfyui back end "
                                                    f"(expected one of {sorted(COMFY_KEYS)})")
    servers = value.get("servers")
    if isinstance(servers, str):
        servers = [servers]
    if not isinstance(servers, list) or not servers:
        raise RemoteSpecError(f"{where}.servers", "missing: a list of ComfyUI URLs, e.g. [\"http://gpu-01:8188\"]")
    if len(servers) > SERVERS_MAX:
        raise RemoteSpecError(f"{where}.servers", f"{len(servers)} servers, at most {SERVERS_MAX}")
    urls = [check_server(url, f"{where}.servers[{i}]") for i, url in enumerate(servers)]
    if len(set(urls)) != len(urls):
        raise RemoteSpecError(f"{where}.servers", "lists a server twice")
    if "workflow" not in value:
        raise RemoteSpecError(f"{where}.workflow", "missing: a workflow exported in ComfyUI's API format")
    workflow = read_workflow(value["workflow"], f"{where}.workflow", base_dir)
    inputs = check_inputs(value.get("inputs"), workflow, f"{where}.inputs")
    name = value.get("workflow_name")
    if name is None:  # what versions record: comfyui:<server>/<name>
        name = Path(value["workflow"]).stem if isinstance(value["workflow"], str) else "workflow"
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise RemoteSpecError(f"{where}.workflow_name", "must be a short name")
    return {"backend": "comfyui", "servers": urls, "workflow": workflow, "workflow_name": name.strip(),
            "inputs": inputs}


# --- replicate: hosted prediction APIs in Replicate's shape ----------------------------------------
REPLICATE_KEYS = {"backend", "model", "version", "inputs", "token_env", "api", "poll_s", "timeout_s", "concurrency"}
REPLICATE_API = "https://api.replicate.com/v1"
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
_MODEL = re.compile(r"^[a-z0-9][a-z0-9_.-]*/[a-z0-9][a-z0-9_.-]*$", re.IGNORECASE)


def validate_replicate(value: dict[str, Any], where: str) -> dict[str, Any]:
    """model (owner/name) and/or version, the inputs map (our parameter -> the model's input
    name), and the name of the environment variable holding the API token (the token itself
    is never in a spec, the store or a log)."""
    for key in value:
        if key not in REPLICATE_KEYS:
            raise RemoteSpecError(f"{where}.{key}", f"unknown field for the replicate back end "
                                                    f"(expected one of {sorted(REPLICATE_KEYS)})")
    out: dict[str, Any] = {"backend": "replicate"}
    model, version = value.get("model"), value.get("version")
    if model is None and version is None:
        raise RemoteSpecError(f"{where}.model", "missing: the model (owner/name) or a version id")
    if model is not None:
        if not isinstance(model, str) or not _MODEL.match(model):
            raise RemoteSpecError(f"{where}.model", f"{model!r} is not owner/name")
        out["model"] = model
    if version is not None:
        if not isinstance(version, str) or not re.fullmatch(r"[A-Za-z0-9]{8,128}", version):
            raise RemoteSpecError(f"{where}.version", "must be the version id (letters and digits)")
        out["version"] = version
    inputs = value.get("inputs")
    if not isinstance(inputs, dict) or "prompt" not in inputs:
        raise RemoteSpecError(f"{where}.inputs", "must map our parameters to the model's input names, "
                                                 "prompt at least: {\"prompt\": \"prompt\"}")
    for name, target in inputs.items():
        if name not in COMFY_PARAMETERS:
            raise RemoteSpecError(f"{where}.inputs.{name}", f"not a parameter we provide (one of {', '.join(COMFY_PARAMETERS)})")
        if not isinstance(target, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", target):
            raise RemoteSpecError(f"{where}.inputs.{name}", "must be the model's input name")
    out["inputs"] = dict(inputs)
    token_env = value.get("token_env", "REPLICATE_API_TOKEN")
    if not isinstance(token_env, str) or not _ENV_NAME.match(token_env):
        raise RemoteSpecError(f"{where}.token_env", "must name an environment variable (e.g. REPLICATE_API_TOKEN), "
                                                    "never hold the token")
    out["token_env"] = token_env
    out["api"] = check_server(value.get("api", REPLICATE_API), f"{where}.api")
    if "poll_s" in value:
        poll = value["poll_s"]
        if isinstance(poll, bool) or not isinstance(poll, int | float) or not 0.05 <= poll <= 60:
            raise RemoteSpecError(f"{where}.poll_s", "must be a number of seconds from 0.05 to 60")
        out["poll_s"] = float(poll)
    return out
