"""Test helpers for vidcore plugins: conformance checks, throwaway distributions, a CLI runner, tiny videos.

The pytest fixtures (`vidcore_registry`, `make_video`, `run_vidcore`, `tmp_work_dir`) come from
`vidcore_testing.pytest_plugin`, which pytest loads by itself wherever this distribution (vidcore-testing) is
installed. Everything here is importable without pytest, and importing this package imports neither torch nor
numpy, so the fixtures cost nothing in a test session that does not use them.
"""

from __future__ import annotations

from vidcore.plugins import lazy_getattr

__version__ = "0.1.0"

_LAZY = {
    "check_transform": "vidcore_testing.checks",
    "check_model": "vidcore_testing.checks",
    "check_dataset": "vidcore_testing.checks",
    "check_vis_backend": "vidcore_testing.checks",
    "check_metric": "vidcore_testing.checks",
    "CliResult": "vidcore_testing.cli",
    "run_python": "vidcore_testing.cli",
    "run_vidcore": "vidcore_testing.cli",
    "install_throwaway_distribution": "vidcore_testing.distributions",
    "pip_install": "vidcore_testing.distributions",
    "write_distribution": "vidcore_testing.distributions",
    "isolated_registry": "vidcore_testing.registry",
    "encode_video": "vidcore_testing.video",
    "check_imports": "vidcore_testing.imports",
}

__all__ = list(_LAZY)


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)
