"""Help for unknown names: close matches, and the command that installs a distribution.

Which distribution ships a component that is not installed is not known here: installed plugins tell the
registry (`Registrar.add_install_hints`), so the core holds no plugin's component names."""

from __future__ import annotations

from typing import Iterable

# The first-party distributions are not on a package index: each installs from its folder in the vidcore
# repository, given as a path from the repository's root.
FIRST_PARTY_PATHS: dict[str, str] = {
    "vidcore": "packages/vidcore",
    "vidcore-testing": "packages/vidcore-testing",
    "vidcore-plot": "plugins/vidcore-plot",
    "vidcore-video": "plugins/vidcore-video",
    "vidcore-tsn": "plugins/vidcore-tsn",
    "vidcore-tsm": "plugins/vidcore-tsm",
    "vidcore-video3d": "plugins/vidcore-video3d",
    "vidcore-tensorboard": "plugins/vidcore-tensorboard",
    "vidcore-wandb": "plugins/vidcore-wandb",
}

def close_matches(name: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Candidates that look like `name`, case-insensitively, best first."""
    import difflib

    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    found = difflib.get_close_matches(name.lower(), list(by_lower), n=limit, cutoff=0.6)
    return [by_lower[match] for match in found]


def install_command(dist: str) -> str:
    """The command that installs distribution `dist`: a first-party one from its folder in the vidcore repository
    (they are not on a package index), any other from the package index."""
    if dist in FIRST_PARTY_PATHS:
        return f"pip install ./{FIRST_PARTY_PATHS[dist]} (from the root of the vidcore repository)"
    return f"pip install {dist}"
