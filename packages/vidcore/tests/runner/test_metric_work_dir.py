"""The runner hands its work dir to metrics that name a `work_dir` parameter (to write files there), and to no
other: a metric taking **kwargs that it passes on to BaseMetric must not receive it."""

from __future__ import annotations

import pytest
from vidcore.evaluation import BaseMetric
from vidcore.plugins import default_registry
from vidcore.runner._injection import accepted_arguments


class WritesFiles(BaseMetric):
    def __init__(self, out_file: str = "out.csv", work_dir: str | None = None) -> None:
        super().__init__()
        self.work_dir = work_dir

    def process(self, data_batch, data_samples):
        pass

    def compute_metrics(self, results):
        return {}


class ForwardsKwargs(BaseMetric):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)

    def process(self, data_batch, data_samples):
        pass

    def compute_metrics(self, results):
        return {}


def test_only_metrics_that_name_work_dir_receive_it():
    registry = default_registry()
    offered, key = {"work_dir": "work_dirs/run"}, ("test_evaluator",)
    assert accepted_arguments(registry, {"type": WritesFiles}, "metrics", key, offered, named_only=True) == offered
    assert accepted_arguments(registry, {"type": ForwardsKwargs}, "metrics", key, offered, named_only=True) == {}
    assert accepted_arguments(registry, {"type": ForwardsKwargs}, "metrics", key, offered) == offered  # the default
    assert accepted_arguments(registry, {"type": "NoSuchMetric"}, "metrics", ("val_evaluator", 1), offered,
                              named_only=True) == {}


def test_an_injection_the_config_schema_does_not_declare_is_refused():
    """`vidcore config check` validates from the schema's declared injections; the runner may inject no other
    argument, or the check would report it missing while runs pass it (or the reverse)."""
    registry = default_registry()
    with pytest.raises(RuntimeError, match=r"injects \['save_dir'\] into metrics at val_evaluator\[0\]"):
        accepted_arguments(registry, {"type": WritesFiles}, "metrics", ("val_evaluator", 0), {"save_dir": "x"})
    with pytest.raises(RuntimeError, match=r"into metrics at model"):
        accepted_arguments(registry, {"type": WritesFiles}, "metrics", ("model",), {"work_dir": "x"})
