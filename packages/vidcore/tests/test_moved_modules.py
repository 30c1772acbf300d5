"""Modules that left the core keep their old import path for one minor release, with a deprecation warning."""

from __future__ import annotations

import sys

import pytest
from vidcore.plugins import VidcoreDeprecationWarning


def test_old_testing_path_forwards_with_a_warning():
    import vidcore.testing
    import vidcore_testing

    with pytest.warns(VidcoreDeprecationWarning, match="vidcore.testing.run_vidcore .*vidcore_testing"):
        assert vidcore.testing.run_vidcore is vidcore_testing.run_vidcore


def test_old_plotting_path_names_the_distribution_when_it_is_missing(monkeypatch):
    import vidcore.plotting

    monkeypatch.setitem(sys.modules, "vidcore_plot", None)
    monkeypatch.delitem(sys.modules, "vidcore_plot.plotting", raising=False)
    with pytest.raises(ImportError, match=r"distribution vidcore-plot: pip install \./plugins/vidcore-plot"):
        vidcore.plotting.plot_curves  # noqa: B018
