"""Small rules about prompt wording, free of the store (queue and prompts both use them)."""

from __future__ import annotations


def with_preset(prompt: str, preset_text: str) -> str:
    """The prompt with the preset's words added (once: applying twice changes nothing)."""
    addition = preset_text.strip()
    if not addition or addition.lower() in prompt.lower():
        return prompt
    base = prompt.rstrip().rstrip(",").rstrip()
    return f"{base}, {addition}" if base else addition
