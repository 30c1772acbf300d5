"""Key paths such as `train_dataloader.dataset.pipeline[3].type`, used by every config and build error."""

from __future__ import annotations

from typing import Iterable, Union

KeyPart = Union[str, int]


def format_key_path(parts: Iterable[KeyPart]) -> str:
    """Join dict keys with dots and list indices with brackets."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "<root>"


def parse_key_path(path: str) -> list[KeyPart]:
    """Split `a.b.2.c` or `a.b[2].c` into keys and integer indices."""
    parts: list[KeyPart] = []
    for token in path.replace("[", ".").replace("]", "").split("."):
        if token == "":
            raise ValueError(f"empty component in key path {path!r}")
        parts.append(int(token) if token.lstrip("-").isdigit() else token)
    return parts
