"""What a ComfyUI server is sent and says back, read without a connection: the graph with
our parameters in it, a refused prompt's node errors, a failed node, the output files of a
history entry (comfyui.py talks to the server; these only read its JSON), in the shapes of
ComfyUI's server.py and execution.py that tests/comfy_standin.py follows (its header says
which version and how it was checked)."""

from __future__ import annotations

import copy
from typing import Any

# the file suffixes an asset's output is found by, best first
CONNECT_S = 10.0  # to connect to a ComfyUI server, or hear from it on a short request
SUFFIXES = {"keyframe": (".png", ".jpg", ".jpeg", ".webp"), "video": (".mp4", ".webm", ".mov", ".mkv", ".gif")}


def fill_graph(workflow: dict[str, Any], inputs: dict[str, list[str]], values: dict[str, Any]) -> dict[str, Any]:
    """The workflow with our parameters put where `inputs` maps them."""
    from director_tui.core.remote_spec import find_node

    graph = copy.deepcopy(workflow)
    for name, (node_ref, input_name) in inputs.items():
        if name in values and values[name] is not None:
            graph[find_node(graph, node_ref, name)]["inputs"][input_name] = values[name]
    return graph


def node_errors_line(body: Any) -> str:
    """A 400 from /prompt in one line: node id, class type, error type, and the server's
    message and details of each (ComfyUI puts the numbers in the message, "Value 20000
    bigger than max of 10000", and the input's name in the details)."""
    if not isinstance(body, dict):
        return str(body)[:300]
    parts = []
    for node_id, info in (body.get("node_errors") or {}).items():
        for err in (info or {}).get("errors", []) or [{}]:
            said = [str(err.get(key) or "") for key in ("message", "details")]
            parts.append(f"node {node_id} ({info.get('class_type', '?')}): {err.get('type', 'error')}: "
                         + ": ".join(part for part in said if part))
    if not parts:
        error = body.get("error")
        if isinstance(error, dict):
            parts.append(f"{error.get('type', 'error')}: {error.get('message', '')} {error.get('details', '')}".strip())
        else:
            parts.append(str(error))
    return "; ".join(parts)[:600]


def node_failed(data: dict[str, Any]) -> str:
    """An `execution_error` event (live, or kept in the history) in one line."""
    return (f"comfyui: node {data.get('node_id')} ({data.get('node_type')}) failed: "
            f"{data.get('exception_type', 'error')}: {str(data.get('exception_message', ''))[:300]}")


def outputs_of(entry: dict[str, Any], asset: str) -> list[dict[str, Any]]:
    """Every file of the output nodes (images, gifs, videos: any list of file records), the
    ones whose kind fits the asset first."""
    files = [item for node in (entry.get("outputs") or {}).values() if isinstance(node, dict)
             for value in node.values() if isinstance(value, list)
             for item in value if isinstance(item, dict) and isinstance(item.get("filename"), str)]
    return sorted(files, key=lambda f: not str(f["filename"]).lower().endswith(SUFFIXES[asset]))
