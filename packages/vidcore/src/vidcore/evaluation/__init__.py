"""Metric contract for plugins (`BaseMetric`: `process` per batch, `compute_metrics` at the end, gathered
across ranks), the `Evaluator` that runs a config's metrics, and `DumpResults` for `vidcore test --dump`."""

from ._dump_results import DumpResults
from ._evaluator import Evaluator
from ._metric import BaseMetric

__all__ = ["BaseMetric", "Evaluator", "DumpResults"]
