"""Every config shipped in this repository (configs/ and the plugins' packaged configs) passes `vidcore config check`
with the strict top-level keys: no unknown key, no bad value; missing datasets are only warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
from vidcore.config import load_config
from vidcore.runner import check_config

REPOSITORY = Path(__file__).resolve().parents[1]
SHIPPED = sorted([*REPOSITORY.glob("configs/**/*.yaml"), *REPOSITORY.glob("plugins/*/src/*/configs/**/*.yaml")])


def test_there_are_shipped_configs():
    assert len(SHIPPED) >= 20


@pytest.mark.vidcore_plugins()
@pytest.mark.parametrize("path", SHIPPED, ids=[str(path.relative_to(REPOSITORY)) for path in SHIPPED])
def test_shipped_config_checks_clean(path, vidcore_registry):
    warnings: list[str] = []
    errors, checked = check_config(load_config(path), warnings)
    assert [str(error) for error in errors] == []
    assert checked >= 1
    expected = ("does not exist", "is not a directory") + (("no validation is configured",) if "_base_" in path.parts
                                                           else ())  # a base alone has no val_dataloader
    assert all(any(text in warning for text in expected) for warning in warnings), warnings
