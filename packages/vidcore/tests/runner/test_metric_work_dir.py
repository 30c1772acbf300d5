"""The runner hands its work dir to metrics that name a `work_dir` parameter (to write files there), and to no
other: a metric taking **kwargs that it passes on to BaseMetric must not receive it."""

from __future__ import annotations

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
    offered = {"work_dir": "work_dirs/run"}
    assert accepted_arguments(registry, {"type": WritesFiles}, "metrics", offered, named_only=True) == offered
    assert accepted_arguments(registry, {"type": ForwardsKwargs}, "metrics", offered, named_only=True) == {}
    assert accepted_arguments(registry, {"type": ForwardsKwargs}, "metrics", offered) == offered  # the default
    assert accepted_arguments(registry, {"type": "NoSuchMetric"}, "metrics", offered, named_only=True) == {}
