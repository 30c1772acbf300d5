"""Where vidcore and its plugins keep regenerable files (the CLI's help text, generated datasets)."""

from __future__ import annotations

import os


def cache_dir() -> str:
    """$VIDCORE_CACHE_DIR, else $XDG_CACHE_HOME/vidcore, else ~/.cache/vidcore (not created here)."""
    if os.environ.get("VIDCORE_CACHE_DIR"):
        return os.path.expanduser(os.environ["VIDCORE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "vidcore")
