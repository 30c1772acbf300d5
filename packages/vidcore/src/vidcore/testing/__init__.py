"""Test helpers for vidcore plugins: conformance checks, throwaway distributions, a CLI runner, tiny videos.

The pytest fixtures (`vidcore_registry`, `make_video`, `run_vidcore`, `tmp_work_dir`) come from
`vidcore.testing.pytest_plugin`, which pytest loads by itself wherever vidcore is installed. Everything
here is importable without pytest, and importing this package imports neither torch nor numpy: pytest
loads it in every test session of every project that has vidcore installed.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "check_transform": "vidcore.testing.checks",
    "check_model": "vidcore.testing.checks",
    "check_dataset": "vidcore.testing.checks",
    "check_vis_backend": "vidcore.testing.checks",
    "check_metric": "vidcore.testing.checks",
    "CliResult": "vidcore.testing.cli",
    "run_python": "vidcore.testing.cli",
    "run_vidcore": "vidcore.testing.cli",
    "install_throwaway_distribution": "vidcore.testing.distributions",
    "pip_install": "vidcore.testing.distributions",
    "write_distribution": "vidcore.testing.distributions",
    "isolated_registry": "vidcore.testing.registry",
    "encode_video": "vidcore.testing.video",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'vidcore.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
