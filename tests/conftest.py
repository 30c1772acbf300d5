"""The helpers next to these tests (`demo_budget`) are importable by name (pytest runs with
--import-mode=importlib, which puts no test folder on sys.path)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
