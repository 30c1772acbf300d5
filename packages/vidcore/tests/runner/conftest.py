"""Fixtures of the runner tests; the toy components live in vidcore_runner_toys.py (importable by name)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from vidcore.registry import Registry  # noqa: E402
from vidcore_runner_toys import make_registry  # noqa: E402


@pytest.fixture
def registry() -> Registry:
    return make_registry()
